package io.lakehose.buffer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One output file being written to the local spool (Parquet rows, or error lines).
 * {@link #close()} finishes the file; {@link #abort()} throws it away. Not thread-safe.
 */
public interface SpoolWriter<T> {

    void append(T item) throws IOException;

    /** Encoded bytes so far (on disk plus in memory); what the size limit compares against. */
    long dataSize();

    /** Heap held by the writer; what the global memory cap counts. */
    long inMemoryBytes();

    Path path();

    /** File extension of the finished object, e.g. ".parquet". */
    String extension();

    String contentType();

    /** Finish the file; after this it is complete and may be uploaded. */
    void close() throws IOException;

    /** Give up the file (lease lost, failure): release memory, delete it. */
    void abort();

    /** Opens new writers for one buffer set. */
    @FunctionalInterface
    interface Factory<T> {
        /** @param first the first item the writer will get (e.g. to pick a per-table schema) */
        SpoolWriter<T> open(Path spoolFile, T first) throws IOException;
    }
}
