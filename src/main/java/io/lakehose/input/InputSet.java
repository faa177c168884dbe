package io.lakehose.input;

import io.lakehose.sink.S3ObjectStore;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What {@code convert --input} names, as files in input order: a file; a directory, every regular
 * file under it (recursively) in name order; every object under an S3 prefix, in key order
 * ({@link S3Inputs}); or standard input. Name order is the order of the
 * relative paths' UTF-8 bytes, which is S3's key order: a local copy of an archive and the archive
 * in S3 are read in the same order, so their records get the same sequence numbers.
 *
 * @param origin  what was named: a path, an S3 URI, or "standard input"
 * @param release frees what reading needed (an S3 client) when closed
 */
public record InputSet(String origin, List<InputFile> files, Runnable release) implements AutoCloseable {

    /** The order of S3 keys: by UTF-8 bytes, unsigned. */
    static final Comparator<String> KEY_ORDER = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    /**
     * {@code s3://bucket/prefix}, {@code -} (standard input), a file or a directory.
     *
     * @param stores the S3 store for a bucket (the lake's client settings: s3.endpoint, region, role)
     */
    public static InputSet resolve(String spec, Function<String, S3ObjectStore> stores) throws InputRefusedException {
        return spec.startsWith("s3://") ? S3Inputs.resolve(spec, stores) : local(spec);
    }

    /** {@code -} (standard input), a file or a directory. */
    public static InputSet local(String spec) throws InputRefusedException {
        if (spec.equals("-")) {
            return new InputSet("standard input", List.of(new StandardInput()), () -> { });
        }
        Path path = Path.of(spec);
        if (!Files.exists(path)) {
            throw new InputRefusedException("input file " + spec + " does not exist");
        }
        if (Files.isDirectory(path)) {
            return directory(path);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new InputRefusedException("input file " + spec + " is not a readable file");
        }
        return new InputSet(path.toString(), List.of(new LocalFile(path)), () -> { });
    }

    private static InputSet directory(Path dir) throws InputRefusedException {
        List<LocalFile> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .map(LocalFile::new)
                    .sorted(Comparator.comparing((LocalFile f) -> relative(dir, f.path()), KEY_ORDER))
                    .toList();
        } catch (IOException | RuntimeException e) {
            throw new InputRefusedException("cannot list input directory " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new InputRefusedException("input directory " + dir + " holds no files");
        }
        for (LocalFile f : files) {
            if (!Files.isReadable(f.path())) {
                throw new InputRefusedException("input file " + f.path() + " is not readable");
            }
        }
        return new InputSet(dir.toString(), List.copyOf(files), () -> { });
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    /** For the summary: the file's name, or "N files under ORIGIN (first A, last B)". */
    public String describe() {
        if (files.size() == 1 && files.get(0).name().equals(origin)) {
            return origin;
        }
        if (files.size() == 1) {
            return "1 file under " + origin + " (" + shortName(files.get(0)) + ")";
        }
        return files.size() + " files under " + origin + " (first " + shortName(files.get(0)) + ", last "
                + shortName(files.get(files.size() - 1)) + ")";
    }

    /** A file's name without the origin it is under. */
    public String shortName(InputFile file) {
        String name = file.name();
        if (name.startsWith(origin) && name.length() > origin.length()) {
            String rest = name.substring(origin.length());
            return rest.startsWith("/") ? rest.substring(1) : rest;
        }
        return name;
    }

    @Override
    public void close() {
        release.run();
    }

    private record LocalFile(Path path) implements InputFile {
        @Override
        public String name() {
            return path.toString();
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(path);
        }

        @Override
        public Optional<Instant> lastModified() {
            try {
                return Optional.of(Files.getLastModifiedTime(path).toInstant());
            } catch (IOException e) {
                return Optional.empty(); // open() names the problem
            }
        }
    }

    /** Standard input, left open when the reader closes it. */
    private record StandardInput() implements InputFile {
        @Override
        public String name() {
            return "standard input";
        }

        @Override
        public InputStream open() {
            return new FilterInputStream(System.in) {
                @Override
                public void close() {
                    // not ours to close
                }
            };
        }
    }
}
