package io.lakehose.input;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;

/** One file of {@code convert}'s input: a local file, an S3 object, or standard input. */
public interface InputFile {

    /** How messages name it: a path, an {@code s3://} URI, or "standard input". */
    String name();

    /** Its bytes as stored (GZIP or not); the caller closes the stream. */
    InputStream open() throws IOException;

    /**
     * When it was last written, if that is known (a file's modification time, an object's
     * LastModified): the arrival time of its lines that cannot be decoded, the same in every run.
     */
    default Optional<Instant> lastModified() {
        return Optional.empty();
    }
}
