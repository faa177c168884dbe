package io.lakehose.input;

import io.lakehose.pipeline.BatchSource;
import io.lakehose.pipeline.LineBatches;
import io.lakehose.pipeline.RecordBatch;

import java.io.IOException;

/** The records of one input file's content, cut the way the file is written. */
final class FileRecords implements BatchSource {

    private final BatchSource batches;
    private final String format;

    private FileRecords(BatchSource batches, String format) {
        this.batches = batches;
        this.format = format;
    }

    static FileRecords of(FileContent content, int number) {
        return new FileRecords(new LineBatches(content.stream(), number), "lines");
    }

    /** "lines" or "concatenated". */
    String format() {
        return format;
    }

    @Override
    public RecordBatch next() throws IOException {
        return batches.next();
    }
}
