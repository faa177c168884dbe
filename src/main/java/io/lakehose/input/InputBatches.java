package io.lakehose.input;

import io.lakehose.pipeline.BatchSource;
import io.lakehose.pipeline.InputPositions;
import io.lakehose.pipeline.RecordBatch;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of every file of an {@link InputSet}, file after file in input order, each file
 * numbered by its place in that order (docs/design.md, "Interfaces"). Remembers what it read for
 * the summary. A file is opened only when the one before it is done, so one file is read at a
 * time; a refused file stops the input there, and nothing of it or after it is read.
 */
public final class InputBatches implements BatchSource, Closeable {

    private final InputSet inputs;
    private final List<FileRead> read = new ArrayList<>();
    private int next;
    private FileContent content;
    private FileRecords records;
    private long recordsOfFile;

    public InputBatches(InputSet inputs) {
        this.inputs = inputs;
    }

    @Override
    public RecordBatch next() throws IOException {
        while (true) {
            if (records == null && !openNext()) {
                return null;
            }
            RecordBatch b = nextOfFile();
            if (b == null) {
                finishFile();
            } else if (b.count() > 0) {
                return b;
            }
        }
    }

    /** The files read to the end, in input order. */
    public List<FileRead> filesRead() {
        return List.copyOf(read);
    }

    @Override
    public void close() throws IOException {
        if (content != null) {
            content.stream().close();
            content = null;
            records = null;
        }
    }

    private boolean openNext() throws IOException {
        if (next == inputs.files().size()) {
            return false;
        }
        InputFile file = inputs.files().get(next);
        try {
            content = FileContent.open(file);
        } catch (InputRefusedException e) {
            throw new InputRefusedException(e.getMessage() + ": refused, nothing of it converted" + before());
        }
        try {
            records = FileRecords.of(content, next, file.name());
        } catch (IOException e) {
            close();
            throw new IOException("cannot read " + file.name() + before(), e);
        }
        recordsOfFile = 0;
        return true;
    }

    private RecordBatch nextOfFile() throws IOException {
        InputFile file = inputs.files().get(next);
        RecordBatch b;
        try {
            b = records.next();
        } catch (IOException e) {
            throw new IOException("cannot read " + file.name() + " after its first " + recordsOfFile + " records"
                    + before(), e);
        }
        if (b != null && b.count() > 0) {
            long last = b.firstPosition() + b.count() - 1;
            if (last > InputPositions.MAX_POSITION) {
                throw new InputRefusedException(file.name() + " holds more than " + InputPositions.MAX_POSITION
                        + " records, more than convert numbers in one file; split it");
            }
            recordsOfFile += b.count();
        }
        return b;
    }

    private void finishFile() throws IOException {
        InputFile file = inputs.files().get(next);
        read.add(new FileRead(next, file.name(), content.gzip(), records.format(), recordsOfFile));
        close();
        next++;
    }

    /** What happened to the files before the current one, for a message about it. */
    private String before() {
        int total = inputs.files().size();
        if (total == 1) {
            return "";
        }
        if (next == 0) {
            return " (the first of " + total + " files; none converted)";
        }
        return " (file " + (next + 1) + " of " + total + "; the " + next + " before it are converted, none after it)";
    }
}
