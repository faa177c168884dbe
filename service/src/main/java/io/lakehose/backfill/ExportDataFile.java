package io.lakehose.backfill;

import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.decode.SourceRecord;
import io.lakehose.errorout.ErrorRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(location.open(key), 64 * 1024), StandardCharsets.UTF_8), 256 * 1024)) {
            String text;
            while ((text = in.readLine()) != null) {
                line++;
                if (line <= resumeLine || text.isEmpty()) {
                    continue;
                }
                SourceRecord source = rows.source(item(text.getBytes(StandardCharsets.UTF_8)), "export-" + unitName,
                        line);
                try {
                    files.append(rows.row(source));
                } catch (DecodeException e) {
                    files.appendError(ErrorRecord.of(source, new DecodeException(e.code(),
                            key + " line " + line + ": " + e.getMessage())));
                    ctx.stats().error();
                }
                if (files.full()) {
                    long stored = files.store(unit.nextFile());
                    unit = ctx.progress().update(unit.advanced(Long.toString(line), stored, false))
                            .units().get(index);
                    ctx.stats().itemsStored(stored);
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

    /** The typed item of an export line: the value of its "Item" field. */
    private static byte[] item(byte[] line) {
        int end = line.length;
        while (end > 0 && line[end - 1] <= ' ') {
            end--;
        }
        if (end > ITEM_PREFIX.length && java.util.Arrays.equals(line, 0, ITEM_PREFIX.length, ITEM_PREFIX, 0,
                ITEM_PREFIX.length) && line[end - 1] == '}') {
            return java.util.Arrays.copyOfRange(line, ITEM_PREFIX.length, end - 1);
        }
        try {
            com.fasterxml.jackson.databind.JsonNode node = LINE_JSON.readTree(line);
            if (node != null && node.has("Item")) {
                return LINE_JSON.writeValueAsBytes(node.get("Item"));
            }
        } catch (IOException e) {
            // not JSON: decoding the line as an item reports what is wrong
        }
        return line;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper LINE_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
}
