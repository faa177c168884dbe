package io.lakehose.commit.iceberg;

import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;
import org.apache.iceberg.io.SupportsPrefixOperations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Iceberg files on the local disk, for {@code convert --format iceberg} into a directory.
 * Iceberg's only FileIO for {@code file:} locations is HadoopFileIO, and the service keeps Hadoop
 * out of its jar; readers load the same warehouse with HadoopFileIO (their engines have Hadoop),
 * which is why the locations keep their {@code file:} URIs unchanged.
 */
public final class LocalFileIO implements SupportsPrefixOperations {

    @Override
    public InputFile newInputFile(String location) {
        return new LocatedInput(location, org.apache.iceberg.Files.localInput(path(location).toFile()));
    }

    @Override
    public OutputFile newOutputFile(String location) {
        return new LocatedOutput(location, org.apache.iceberg.Files.localOutput(path(location).toFile()));
    }

    @Override
    public void deleteFile(String location) {
        try {
            Files.deleteIfExists(path(location));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + location, e);
        }
    }

    /**
     * Every file under {@code prefix} (a directory), with its size and last-modified time as its
     * creation time: table maintenance's orphan cleanup lists a table's location with it. A file
     * is named as the prefix names locations: a {@code file:} URI or a plain path.
     */
    @Override
    public Iterable<FileInfo> listPrefix(String prefix) {
        Path root = path(prefix);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<FileInfo> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    String location = prefix.startsWith("file:") ? p.toUri().toString() : p.toString();
                    files.add(new FileInfo(location, a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + prefix, e);
        }
        return files;
    }

    @Override
    public void deletePrefix(String prefix) {
        for (FileInfo f : listPrefix(prefix)) {
            deleteFile(f.location());
        }
    }

    /** A {@code file:} URI or a plain absolute path. */
    static Path path(String location) {
        return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    }

    /** Iceberg's local file, answering with the location it was opened by (metadata records it). */
    private record LocatedInput(String location, InputFile file) implements InputFile {
        @Override
        public long getLength() {
            return file.getLength();
        }

        @Override
        public SeekableInputStream newStream() {
            return file.newStream();
        }

        @Override
        public boolean exists() {
            return file.exists();
        }
    }

    private record LocatedOutput(String location, OutputFile file) implements OutputFile {
        @Override
        public PositionOutputStream create() {
            createParent();
            return file.create();
        }

        @Override
        public PositionOutputStream createOrOverwrite() {
            createParent();
            return file.createOrOverwrite();
        }

        /**
         * Iceberg's local output fails when its mkdirs loses a race (two writers creating a table's
         * first file at once: mkdirs answers false for the directory the other just made).
         */
        private void createParent() {
            try {
                Files.createDirectories(path(location).getParent());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the directory of " + location, e);
            }
        }

        @Override
        public InputFile toInputFile() {
            return new LocatedInput(location, file.toInputFile());
        }
    }
}
