package io.lakehose.commit.iceberg;

import org.apache.iceberg.Files;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Iceberg files on the local disk, for {@code convert --format iceberg} into a directory.
 * Iceberg's only FileIO for {@code file:} locations is HadoopFileIO, and the service keeps Hadoop
 * out of its jar; readers load the same warehouse with HadoopFileIO (their engines have Hadoop),
 * which is why the locations keep their {@code file:} URIs unchanged.
 */
public final class LocalFileIO implements FileIO {

    @Override
    public InputFile newInputFile(String location) {
        return new LocatedInput(location, Files.localInput(path(location).toFile()));
    }

    @Override
    public OutputFile newOutputFile(String location) {
        return new LocatedOutput(location, Files.localOutput(path(location).toFile()));
    }

    @Override
    public void deleteFile(String location) {
        try {
            java.nio.file.Files.deleteIfExists(path(location));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + location, e);
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
            return file.create();
        }

        @Override
        public PositionOutputStream createOrOverwrite() {
            return file.createOrOverwrite();
        }

        @Override
        public InputFile toInputFile() {
            return new LocatedInput(location, file.toInputFile());
        }
    }
}
