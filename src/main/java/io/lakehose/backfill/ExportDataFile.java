package io.lakehose.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.decode.SourceRecord;
import io.lakehose.errorout.ErrorRecord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import io.lakehose.pipeline.LineBatchReader;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * One gzipped data file of a DYNAMODB_JSON export: one {@code {"Item": {...}}} per line. A unit
 * of the backfill; its resume position is the line its next file starts at, which is exact
 * because export files never change.
 */
final class ExportDataFile {

    private static final byte[] ITEM_PREFIX = "{\"Item\":".getBytes(StandardCharsets.UTF_8);

    private final BackfillContext ctx;
    private final ExportLocation location;
    private final String key;
    private final int index;
    private final SnapshotRows rows;

    ExportDataFile(BackfillContext ctx, ExportLocation location, String key, int index, SnapshotRows rows) {
        this.ctx = ctx;
        this.location = location;
        this.key = key;
        this.index = index;
        this.rows = rows;
    }

    void run(BackfillProgress.Unit start) throws IOException {
        if (start.done()) {
            return;
        }
        String unitName = UnitFiles.unitName("f", index);
        UnitFiles files = new UnitFiles(ctx, unitName);
        BackfillProgress.Unit unit = start;
        long resumeLine = start.resumeKey() == null ? 0 : Long.parseLong(start.resumeKey());
        long line = 0;
        try (InputStream in = new GZIPInputStream(location.open(key), 64 * 1024)) {
            LineBatchReader lines = new LineBatchReader(in, 1 << 20);
            for (LineBatchReader.Batch b; (b = lines.next()) != null; ) {
                for (int i = 0; i < b.count(); i++) {
                    line = b.firstLine() + i;
                    int from = b.starts()[i];
                    int to = b.ends()[i];
                    if (line <= resumeLine || to == from) {
                        continue;
                    }
                    append(files, b.data(), from, to, unitName, line);
                    if (files.full()) {
                        long stored = files.store(unit.nextFile());
                        unit = ctx.progress().update(unit.advanced(Long.toString(line), stored, false))
                                .units().get(index);
                        ctx.stats().itemsStored(stored);
                    }
                }
            }
            long stored = files.store(unit.nextFile());
            ctx.progress().update(unit.advanced(Long.toString(line), stored, true));
            ctx.stats().itemsStored(stored);
            ctx.stats().unitDone();
        } finally {
            files.abort();
        }
    }

    private void append(UnitFiles files, byte[] data, int from, int to, String unitName, long line) throws IOException {
        SourceRecord source = item(data, from, to, unitName, line);
        try {
            files.append(rows.row(source));
        } catch (DecodeException e) {
            files.appendError(ErrorRecord.of(source, new DecodeException(e.code(),
                    key + " line " + line + ": " + e.getMessage())));
            ctx.stats().error();
        }
    }

    /** The source record of an export line: the value of its "Item" field, in place when the line has the export's shape. */
    private SourceRecord item(byte[] data, int from, int to, String unitName, long line) {
        int end = to;
        while (end > from && data[end - 1] <= ' ') {
            end--;
        }
        if (end - from > ITEM_PREFIX.length && Arrays.equals(data, from, from + ITEM_PREFIX.length,
                ITEM_PREFIX, 0, ITEM_PREFIX.length) && data[end - 1] == '}') {
            return rows.source(data, from + ITEM_PREFIX.length, end - 1 - from - ITEM_PREFIX.length,
                    "export-" + unitName, line);
        }
        return rows.source(otherShape(Arrays.copyOfRange(data, from, to)), "export-" + unitName, line);
    }

    /** The "Item" of a line with other spacing than the export's, or the line itself if it has none. */
    private static byte[] otherShape(byte[] line) {
        try {
            JsonNode node = LINE_JSON.readTree(line);
            if (node != null && node.has("Item")) {
                return LINE_JSON.writeValueAsBytes(node.get("Item"));
            }
        } catch (IOException e) {
            // not JSON: decoding the line as an item reports what is wrong
        }
        return line;
    }

    private static final ObjectMapper LINE_JSON =
            new ObjectMapper();
}
