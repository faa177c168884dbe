package io.lakehose.backfill;

import io.lakehose.buffer.SpoolWriter;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.errorout.ErrorRecord;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files of one backfill unit: rows go into one Parquet file at a time (and bad items into
 * a matching error file), finished at a page boundary once it reaches the size limit. Object
 * names are deterministic, {@code snapshot-<run>-<unit>-<nnnnnn>}, which is what makes a resumed
 * unit replace, not duplicate, a file stored before a kill (see {@link BackfillProgress}).
 */
final class UnitFiles {

    private final BackfillContext ctx;
    private final String unitName;
    private SpoolWriter<ChangeRecord> rows;
    private final Map<String, SpoolWriter<ErrorRecord>> errorsByReason = new TreeMap<>();
    private long rowCount;

    UnitFiles(BackfillContext ctx, String unitName) {
        this.ctx = ctx;
        this.unitName = unitName;
    }

    void append(ChangeRecord row) throws IOException {
        if (rows == null) {
            rows = ctx.rowWriters().open(spoolFile(".parquet"), row);
        }
        rows.append(row);
        rowCount++;
    }

    void appendError(ErrorRecord error) throws IOException {
        SpoolWriter<ErrorRecord> errors = errorsByReason.get(error.errorCode());
        if (errors == null) {
            errors = ctx.errorWriters().open(spoolFile(".jsonl"), error);
            errorsByReason.put(error.errorCode(), errors);
        }
        errors.append(error);
    }

    boolean full() {
        return rows != null && rows.dataSize() >= ctx.maxFileBytes();
    }

    long rowCount() {
        return rowCount;
    }

    /** Finishes and stores file {@code fileIndex} of the unit; returns the rows it held. */
    long store(int fileIndex) throws IOException {
        String name = "snapshot-" + ctx.runId() + "-" + unitName + "-" + String.format("%06d", fileIndex);
        ObjectStore store = ctx.store();
        if (rows != null) {
            rows.close();
            String key = ctx.directory() + "/" + name + rows.extension();
            ctx.rowFiles().store("snapshot-" + ctx.runId() + "-" + unitName, ctx.directory(), fileIndex, rows.path(), key,
                    rows.contentType(), rowCount);
        }
        for (var e : errorsByReason.entrySet()) {
            SpoolWriter<ErrorRecord> errors = e.getValue();
            errors.close();
            String key = ctx.layout().errorDirectory(ctx.table(), e.getKey(), ctx.snapshotMicros()) + "/" + name
                    + errors.extension();
            FolderRowFiles.put(store, errors.path(), key, errors.contentType());
        }
        long stored = rowCount;
        rows = null;
        errorsByReason.clear();
        rowCount = 0;
        return stored;
    }

    void abort() {
        if (rows != null) {
            rows.abort();
        }
        errorsByReason.values().forEach(SpoolWriter::abort);
        errorsByReason.clear();
        rows = null;
        rowCount = 0;
    }

    private Path spoolFile(String extension) throws IOException {
        return Files.createTempFile(ctx.spoolDir(), unitName + "-", extension);
    }

    static String unitName(String kind, int index) {
        return kind + String.format("%04d", index);
    }

    /** Partition directory of every row of a backfill: all share the snapshot time. */
    static String directory(LakeLayout layout, String table, long snapshotMicros) {
        return layout.partitionDirectory(table, LakeLayout.epochHour(snapshotMicros));
    }
}
