package io.lakehose.pipeline;

import java.io.IOException;

/** Where {@link FileConverter} takes its records from, batch after batch, in input order. */
@FunctionalInterface
public interface BatchSource {

    /** The next batch, or null at the end of the input. */
    RecordBatch next() throws IOException;
}
