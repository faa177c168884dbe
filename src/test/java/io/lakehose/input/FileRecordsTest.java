package io.lakehose.input;

import io.lakehose.pipeline.RecordBatch;
import io.lakehose.testing.FirehoseArchive;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How one file's content is cut into records: concatenated JSON (Firehose's default) by Jackson's
 * offsets, each record exactly its bytes; one record per line otherwise; and what cannot be split
 * kept whole in the error output. Read through a stream that gives one to seven bytes at a time,
 * so every cut also falls across the reader's buffer boundaries.
 */
class FileRecordsTest {

    private static final Instant T = Instant.parse("2024-11-25T08:00:00Z");

    @Test
    void concatenatedRecordsAreCutAtTheirExactBytes() throws IOException {
        List<byte[]> records = new ArrayList<>();
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        String[] between = {"", "", "\n", " ", "\r\n", ""};
        for (int i = 1; i <= 3000; i++) {
            String json = i % 100 == 0 ? big(i) : FirehoseArchive.record(i, T); // strings with braces and quotes inside
            byte[] bytes = json.getBytes(UTF_8);
            records.add(bytes);
            file.writeBytes(bytes);
            file.writeBytes(between[i % between.length].getBytes(UTF_8));
        }

        Read read = read(file.toByteArray());

        assertThat(read.format).isEqualTo("concatenated");
        assertThat(read.records).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) {
            assertThat(read.records.get(i)).as("record %d", i + 1).isEqualTo(records.get(i));
        }
        assertThat(read.positions).as("positions 1..n, in order").isEqualTo(range(1, records.size()));
        assertThat(read.batches).as("more than one batch").isGreaterThan(1);
        assertThat(read.unreadable).containsOnlyNulls();
    }

    @Test
    void theParserLeavesBytesToTheDecoder() throws IOException {
        // invalid UTF-8, a raw control character and a key twice are the decoder's to refuse, record by record
        byte[] invalidUtf8 = concat("{\"a\":\"x".getBytes(UTF_8), new byte[]{(byte) 0xFF, (byte) 0xFE}, "\"}".getBytes(UTF_8));
        byte[] control = "{\"b\":\"tab\tnul\u0000\"}".getBytes(UTF_8);
        byte[] twice = "{\"c\":1,\"c\":2}".getBytes(UTF_8);
        byte[] notAnObject = "[1,{\"d\":2}]".getBytes(UTF_8);
        byte[] text = "\"just a string\"".getBytes(UTF_8);
        byte[] good = FirehoseArchive.record(1, T).getBytes(UTF_8);

        Read read = read(concat(good, invalidUtf8, control, twice, notAnObject, text, good));

        assertThat(read.format).isEqualTo("concatenated");
        assertThat(read.records).containsExactly(good, invalidUtf8, control, twice, notAnObject, text, good);
        assertThat(read.unreadable).containsOnlyNulls();
    }

    @Test
    void oneRecordPerLineIsReadAsLinesAndABrokenLineStaysOneRecord() throws IOException {
        String good = FirehoseArchive.record(1, T);
        byte[] file = (good + "\n{\"truncated\": \n" + good + "\n").getBytes(UTF_8);

        Read read = read(file);

        assertThat(read.format).isEqualTo("lines");
        assertThat(read.records).extracting(b -> new String(b, UTF_8))
                .containsExactly(good, "{\"truncated\": ", good);
    }

    @Test
    void aFileWhoseFirstRecordIsBrokenIsReadAsLines() throws IOException {
        String good = FirehoseArchive.record(1, T);
        Read read = read(("{\"broken\": tru}" + good + good).getBytes(UTF_8));

        assertThat(read.format).isEqualTo("lines");
        assertThat(read.records).hasSize(1); // one line: the decoder refuses it whole, nothing is lost
    }

    @Test
    void whatCannotBeSplitIsKeptWholeInPiecesInOrder() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<byte[]> before = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            byte[] r = FirehoseArchive.record(i, T).getBytes(UTF_8);
            before.add(r);
            file.writeBytes(r);
        }
        int brokenAt = file.size();
        file.writeBytes("\n  {\"broken\": tru}".getBytes(UTF_8));
        for (int i = 11; i <= 8000; i++) {
            file.writeBytes(FirehoseArchive.record(i, T).getBytes(UTF_8)); // more than one piece
        }
        byte[] all = file.toByteArray();
        byte[] rest = Arrays.copyOfRange(all, brokenAt + 3, all.length); // from the broken record on, whitespace left out

        Read read = read(all);

        assertThat(read.records.subList(0, 10)).containsExactlyElementsOf(before);
        assertThat(read.unreadable.subList(0, 10)).containsOnlyNulls();
        List<byte[]> pieces = read.records.subList(10, read.records.size());
        assertThat(pieces).hasSizeGreaterThan(2).allSatisfy(p -> assertThat(p.length).isLessThanOrEqualTo(ConcatenatedJson.PIECE_BYTES));
        assertThat(concat(pieces.toArray(byte[][]::new))).as("the pieces, in order, are the rest of the file").isEqualTo(rest);
        assertThat(read.unreadable.subList(10, read.unreadable.size())).allSatisfy(reason -> assertThat(reason)
                .contains("archive/f1", "cannot be split from byte " + (brokenAt + 3), "Unrecognized token 'tru'",
                        "none of it converted"));
        assertThat(read.positions).isEqualTo(range(1, read.records.size()));
    }

    @Test
    void aTruncatedLastRecordIsOnePieceOfItsBytes() throws IOException {
        byte[] good = FirehoseArchive.record(1, T).getBytes(UTF_8);
        byte[] truncated = Arrays.copyOf(good, 100);

        Read read = read(concat(good, good, truncated));

        assertThat(read.records).containsExactly(good, good, truncated);
        assertThat(read.unreadable.get(2)).contains("Unexpected end-of-input");
    }

    // ---------------------------------------------------------------- helpers

    private record Read(String format, List<byte[]> records, List<Long> positions, List<String> unreadable, int batches) {
    }

    private static Read read(byte[] content) throws IOException {
        FileRecords records = FileRecords.of(new FileContent(new Trickle(new ByteArrayInputStream(content)), false), 0,
                "archive/f1");
        List<byte[]> out = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        int batches = 0;
        for (RecordBatch b; (b = records.next()) != null; batches++) {
            for (int i = 0; i < b.count(); i++) {
                out.add(Arrays.copyOfRange(b.data(), b.starts()[i], b.ends()[i]));
                positions.add(b.firstPosition() + i);
                unreadable.add(b.unreadableReason(i));
            }
        }
        return new Read(records.format(), out, positions, unreadable, batches);
    }

    /** Gives at most one to seven bytes per read. */
    private static final class Trickle extends FilterInputStream {
        private int next;

        Trickle(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 1 + next++ % 7));
        }
    }

    private static String big(int n) {
        return FirehoseArchive.record(n, T).replace("\"SizeBytes\":40", "\"SizeBytes\":40,\"pad\":\"" + "}{".repeat(100_000) + "\"");
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
