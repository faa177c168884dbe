package io.lakehose.pipeline;

import java.io.IOException;
import java.io.InputStream;

/** A stream of JSON lines as the records of one input file: one record per line, positions = line numbers. */
public final class LineBatches implements BatchSource {

    private final LineBatchReader reader;
    private final int file;

    public LineBatches(InputStream in, int file) {
        this.reader = new LineBatchReader(in, RecordBatch.TARGET_BYTES);
        this.file = file;
    }

    @Override
    public RecordBatch next() throws IOException {
        LineBatchReader.Batch lines = reader.next();
        return lines == null ? null : RecordBatch.of(file, lines);
    }
}
