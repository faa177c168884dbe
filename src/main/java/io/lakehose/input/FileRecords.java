package io.lakehose.input;

import io.lakehose.pipeline.BatchSource;
import io.lakehose.pipeline.LineBatches;
import io.lakehose.pipeline.RecordBatch;

import java.io.IOException;
import java.util.Optional;

/** The records of one input file's content, cut the way the file is written: by lines, or as concatenated JSON. */
final class FileRecords implements BatchSource {

    private final BatchSource batches;
    private final String format;

    private FileRecords(BatchSource batches, String format) {
        this.batches = batches;
        this.format = format;
    }

    /**
     * Concatenated records when the file's first record is followed on its line by another
     * object ({@link ConcatenatedJson}); otherwise one record per line, as before, so that a broken
     * line stays one error record and the lines after it are read.
     */
    static FileRecords of(FileContent content, int number, String name) throws IOException {
        RetainingInputStream in = new RetainingInputStream(content.stream());
        Optional<ConcatenatedJson> concatenated = ConcatenatedJson.probe(in, number, name);
        if (concatenated.isPresent()) {
            return new FileRecords(concatenated.get(), "concatenated");
        }
        return new FileRecords(new LineBatches(in.fromStart(), number), "lines");
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
