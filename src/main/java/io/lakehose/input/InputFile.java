package io.lakehose.input;

import java.io.IOException;
import java.io.InputStream;

/** One file of {@code convert}'s input: a local file, an S3 object, or standard input. */
public interface InputFile {

    /** How messages name it: a path, an {@code s3://} URI, or "standard input". */
    String name();

    /** Its bytes as stored (GZIP or not); the caller closes the stream. */
    InputStream open() throws IOException;
}
