package io.lakehose.pipeline;

import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.CommandRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.DuckDbLake;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert} from a JSON-lines file to a local lake, read back by DuckDB (an independent
 * reader) and compared value by value: partitions, every column of every row, the error output,
 * and the Parquet footers as Athena/Spark see them. docs/design.md, "Input", "Lake layout", "Envelope schema"
 * and "Interfaces".
 */
class ConvertEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TTL_IDENTITY = "{\"type\": \"Service\", \"principalId\": \"dynamodb.amazonaws.com\"}";

    /** The mixed input every test converts, and what it must produce. */
    private static final Input input = Input.mixed();

    /** Where the input's file is written, once for the class ({@link Input#file}). */
    @TempDir
    static Path shared;

    // ================================================================ the tests

    @Test
    @DisplayName("every good line is one row with exactly the expected values; partitions from path and event time agree")
    void rowsPartitionsAndValues(@TempDir Path out) throws Exception {
        CommandRun run = convert(out, "--threads", "2");

        assertThat(run.exit).as(run.err).isZero();
        assertSummary(run, input);
        String shard = shardOf(input.file(shared));
        assertThat(run.outLines().get(0)).contains(" (shard " + shard + "): ");

        try (DuckDbLake duck = DuckDbLake.open()) {
            List<Map<String, Object>> rows = lakeRows(duck, out);

            // every good line exactly once, nothing else
            List<Long> seqs = rows.stream().map(r -> Long.parseLong((String) r.get("sequence_number"))).toList();
            assertThat(seqs).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(input.goods.keySet());

            // the partitions are exactly the expected ones, from the path and from event_time alike
            Set<String> fromPath = new TreeSet<>();
            for (Map<String, Object> r : rows) {
                String part = r.get("table") + "/" + r.get("dt") + "/" + r.get("hour");
                fromPath.add(part);
                assertThat(r.get("dt_from_time") + "/" + r.get("hour_from_time"))
                        .as("line %s: partition dt/hour from path vs event_time", r.get("sequence_number"))
                        .isEqualTo(r.get("dt") + "/" + r.get("hour"));
                assertThat(r.get("table")).isEqualTo(r.get("table_name"));
            }
            assertThat(fromPath).containsExactlyInAnyOrder(
                    "orders/2024-11-25/07", "orders/2024-11-25/08", "orders/2024-11-25/23",
                    "orders/2024-11-26/00", "orders/2024-11-26/01",
                    "users/2024-11-25/08", "users/2024-11-25/09", "users/2024-11-25/23", "users/2024-11-26/00");

            // value by value
            for (Map<String, Object> r : rows) {
                long line = Long.parseLong((String) r.get("sequence_number"));
                Row e = input.goods.get(line);
                String where = "line " + line;
                assertThat(r.get("event_id")).as(where).isEqualTo(e.eventId);
                assertThat(r.get("event_name")).as(where).isEqualTo(e.eventName);
                assertThat(r.get("table_name")).as(where).isEqualTo(e.table);
                assertThat(r.get("aws_region")).as(where).isEqualTo(e.region);
                assertThat(r.get("event_us")).as(where).isEqualTo(e.eventMicros);
                assertThat(r.get("user_identity")).as(where).isEqualTo(e.userIdentity);
                if (e.compareImagesAsJson) {
                    assertSameJson((String) r.get("keys"), e.keys, where);
                    assertSameJson((String) r.get("new_image"), e.newImage, where);
                    assertSameJson((String) r.get("old_image"), e.oldImage, where);
                } else {
                    assertThat(r.get("keys")).as(where).isEqualTo(e.keys);
                    assertThat(r.get("new_image")).as(where).isEqualTo(e.newImage);
                    assertThat(r.get("old_image")).as(where).isEqualTo(e.oldImage);
                }
                assertThat(r.get("size_bytes")).as(where).isEqualTo(e.sizeBytes);
                assertThat(r.get("shard_id")).as(where).isEqualTo(shard);
                assertThat(r.get("sub_sequence_number")).as(where).isEqualTo(0L);
                assertThat(r.get("arrival_us")).as(where + ": arrival_time is the event time").isEqualTo(e.eventMicros);
                // and the partition is the event time's UTC date and hour
                Instant t = Instant.EPOCH.plus(e.eventMicros, ChronoUnit.MICROS);
                assertThat(r.get("dt")).as(where).isEqualTo(LocalDate.ofInstant(t, ZoneOffset.UTC).toString());
                assertThat(r.get("hour")).as(where).isEqualTo(DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC).format(t));
            }

            // each object is named by its stream scope, shard and first sequence number (a pure
            // function of the range's start: the folder fence's names)
            for (Map<String, Object> f : duck.query("SELECT filename, min(CAST(sequence_number AS BIGINT)) AS first, "
                    + "max(CAST(sequence_number AS BIGINT)) AS last FROM read_parquet("
                    + DuckDbLake.literal(out.toAbsolutePath() + "/**/*.parquet") + ", filename = true) GROUP BY filename")) {
                String name = Path.of((String) f.get("filename")).getFileName().toString();
                String expected = new ObjectNames("local", shard)
                        .key("d", SequenceNumber.of(((Number) f.get("first")).longValue()), ".parquet");
                assertThat(name).isEqualTo(expected.substring(2));
            }
        }

        assertErrorOutput(out, input, shard, lastModifiedMicros(input.file(shared)));
    }

    @Test
    @DisplayName("Parquet footers: ZSTD on every column chunk, timestamps INT64 micros UTC, strings UTF8")
    void footersAsAthenaAndSparkSeeThem(@TempDir Path out) throws Exception {
        CommandRun run = convert(out, "--threads", "1");
        assertThat(run.exit).as(run.err).isZero();
        List<Path> files = DuckDbLake.parquetFiles(out);
        assertThat(files).hasSizeGreaterThanOrEqualTo(9); // at least one per partition

        try (DuckDbLake duck = DuckDbLake.open()) {
            for (Path f : files) {
                assertThat(duck.compressions(f)).as(f.toString()).containsExactly("ZSTD");
                assertThat(duck.columnChunks(f)).as(f.toString()).hasSizeGreaterThanOrEqualTo(14);

                Map<String, Map<String, Object>> schema = duck.schema(f);
                assertThat(schema.keySet()).as(f.toString()).containsExactly(
                        "event_id", "event_name", "table_name", "aws_region", "event_time", "user_identity", "keys",
                        "new_image", "old_image", "size_bytes", "shard_id", "sequence_number", "sub_sequence_number",
                        "arrival_time");
                for (String ts : List.of("event_time", "arrival_time")) {
                    Map<String, Object> c = schema.get(ts);
                    assertThat(c.get("type")).as(ts).isEqualTo("INT64");
                    assertThat(c.get("converted_type")).as(ts).isEqualTo("TIMESTAMP_MICROS");
                    assertThat((String) c.get("logical_type")).as(ts)
                            .contains("TimestampType", "isAdjustedToUTC=1", "MICROS=MicroSeconds()", "NANOS=<null>", "MILLIS=<null>");
                    assertThat(c.get("repetition_type")).as(ts).isEqualTo("REQUIRED");
                }
                for (String s : List.of("event_id", "event_name", "table_name", "aws_region", "user_identity", "keys",
                        "new_image", "old_image", "shard_id", "sequence_number")) {
                    Map<String, Object> c = schema.get(s);
                    assertThat(c.get("type")).as(s).isEqualTo("BYTE_ARRAY");
                    assertThat(c.get("converted_type")).as(s).isEqualTo("UTF8");
                    assertThat(c.get("logical_type")).as(s).isEqualTo("StringType()");
                }
                for (String l : List.of("size_bytes", "sub_sequence_number")) {
                    assertThat(schema.get(l).get("type")).as(l).isEqualTo("INT64");
                    assertThat(schema.get(l).get("logical_type")).as(l).isNull();
                }
                // nullability as docs/design.md, "Envelope schema" says
                for (String required : List.of("event_id", "event_name", "table_name", "keys", "shard_id",
                        "sequence_number", "sub_sequence_number")) {
                    assertThat(schema.get(required).get("repetition_type")).as(required).isEqualTo("REQUIRED");
                }
                for (String optional : List.of("user_identity", "new_image", "old_image", "size_bytes")) {
                    assertThat(schema.get(optional).get("repetition_type")).as(optional).isEqualTo("OPTIONAL");
                }
            }
        }
    }

    @Test
    @DisplayName("--threads 1 and --threads 2 give the same rows")
    void threadCountDoesNotChangeTheLake(@TempDir Path one, @TempDir Path two) throws Exception {
        assertThat(convert(one, "--threads", "1").exit).isZero();
        assertThat(convert(two, "--threads", "2").exit).isZero();
        try (DuckDbLake duck = DuckDbLake.open()) {
            List<Map<String, Object>> a = lakeRows(duck, one);
            List<Map<String, Object>> b = lakeRows(duck, two);
            assertThat(a).hasSize(input.goods.size());
            assertThat(b).isEqualTo(a);
        }
        assertThat(errorLinesBySequence(one).keySet()).isEqualTo(errorLinesBySequence(two).keySet());
    }

    @Test
    @DisplayName("converting the same input twice into the same directory rewrites the same objects")
    void reRunIsIdempotent(@TempDir Path out) throws Exception {
        assertThat(convert(out, "--threads", "2").exit).isZero();
        List<String> first = relativeFiles(out);
        assertThat(convert(out, "--threads", "2").exit).isZero();
        List<String> second = relativeFiles(out);

        assertThat(second).as("same object names, no new files").isEqualTo(first);
        assertThat(second).noneMatch(p -> p.startsWith(".") || p.contains("/.") || p.endsWith(".tmp"));
        try (DuckDbLake duck = DuckDbLake.open()) {
            List<Map<String, Object>> rows = lakeRows(duck, out);
            assertThat(rows).hasSize(input.goods.size());
            assertThat(rows.stream().map(r -> r.get("sequence_number"))).doesNotHaveDuplicates();
        }
        Map<Long, JsonNode> errors = errorLinesBySequence(out);
        assertThat(errors.keySet()).containsExactlyInAnyOrderElementsOf(input.bads.keySet());
    }

    @Test
    @DisplayName("--input - reads standard input, named by --source-id")
    void standardInput(@TempDir Path fromFile, @TempDir Path fromStdin) throws Exception {
        assertThat(convert(fromFile, "--threads", "1", "--source-id", "changes").exit).isZero();
        InputStream oldIn = System.in;
        CommandRun run;
        try {
            System.setIn(new ByteArrayInputStream(input.bytes()));
            run = CommandRun.of("convert", "--input", "-", "--output", fromStdin.toString(), "--threads", "1",
                    "--source-id", "changes");
        } finally {
            System.setIn(oldIn);
        }
        assertThat(run.exit).as(run.err).isZero();
        assertSummary(run, input);
        try (DuckDbLake duck = DuckDbLake.open()) {
            assertThat(lakeRows(duck, fromStdin)).isEqualTo(lakeRows(duck, fromFile));
        }
        assertThat(errorLinesBySequence(fromStdin).keySet()).containsExactlyInAnyOrderElementsOf(input.bads.keySet());
    }

    @Test
    @DisplayName("an input of only bad lines still exits 0 and writes only the error output")
    void onlyBadLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.write(file, "[1]\n{}\n\n".getBytes(UTF_8));
        Path out = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", file.toString(), "--output", out.toString());
        assertThat(run.exit).as(run.err).isZero();
        assertThat(summaryCounts(run.out)).containsEntry("records", 3L).containsEntry("rows", 0L).containsEntry("errors", 3L);
        assertThat(DuckDbLake.parquetFiles(out)).isEmpty();
        assertThat(errorLinesBySequence(out).keySet()).containsExactlyInAnyOrder(1L, 2L, 3L);
    }

    @Test
    @DisplayName("--show lists every object written with its records")
    void showListsEveryObjectWithItsRecords(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("changes.jsonl");
        String inHour8 = cdc("ev-1", "INSERT", "orders", "us-east-1", "null", 1732518900123L, "MILLISECOND",
                "{\"pk\": {\"S\": \"a\"}}", null, null, 1L);
        String inHour9 = cdc("ev-2", "INSERT", "orders", "us-east-1", "null", 1732522500123L, "MILLISECOND",
                "{\"pk\": {\"S\": \"b\"}}", null, null, 1L);
        Files.write(file, (inHour8 + "\n" + inHour9 + "\n[1]\n").getBytes(UTF_8));
        CommandRun run = CommandRun.of("convert", "--input", file.toString(), "--output", dir.resolve("lake").toString(),
                "--show");
        assertThat(run.exit).as(run.err).isZero();
        // The objects' lines (the files read are listed too, before them).
        List<String> listed = run.outLines().stream().filter(l -> l.startsWith("  ") && l.contains("~")).toList();
        assertThat(listed).as(run.out).hasSize(3)
                .anyMatch(l -> l.contains("table=orders/dt=2024-11-25/hour=07/") && l.endsWith("  1"))
                .anyMatch(l -> l.contains("table=orders/dt=2024-11-25/hour=08/") && l.endsWith("  1"))
                .anyMatch(l -> l.contains("reason=not_an_object/") && l.endsWith("  1"));
    }

    /**
     * Strict UTF-8 (see ChangeRecordDecoderTest.StrictUtf8): a line with an overlong UTF-8
     * sequence (C0 AF, an overlong '/') must go to errors/reason=invalid_utf8, not become a row
     * with "/" (Jackson alone accepts it).
     */
    @Test
    @DisplayName("overlong UTF-8 goes to the error output, not into a row")
    void overlongUtf8GoesToTheErrorOutput(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("overlong.jsonl");
        String good = cdc("ev-ok", "INSERT", "orders", "us-east-1", "null", 1732518900123L, "MILLISECOND",
                "{\"pk\": {\"S\": \"a\"}}", null, null, 1L);
        // the key value is 'a' followed by the raw bytes C0 AF
        String[] parts = cdc("ev-overlong", "INSERT", "orders", "us-east-1", "null", 1732518900123L, "MILLISECOND",
                "{\"pk\": {\"S\": \"a@@\"}}", null, null, 1L).split("@@", 2);
        byte[] overlong = concat(parts[0].getBytes(UTF_8), new byte[]{(byte) 0xC0, (byte) 0xAF}, parts[1].getBytes(UTF_8));
        Files.write(file, concat(good.getBytes(UTF_8), new byte[]{'\n'}, overlong, new byte[]{'\n'}));
        Path out = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", file.toString(), "--output", out.toString());
        assertThat(run.exit).as(run.err).isZero();
        assertThat(errorLinesBySequence(out)).as("the overlong line must be in the error output").containsKey(2L);
        assertThat(errorLinesBySequence(out).get(2L).get("error_code").asText()).isEqualTo("invalid_utf8");
        try (DuckDbLake duck = DuckDbLake.open()) {
            assertThat(lakeRows(duck, out)).extracting(r -> r.get("event_id")).containsExactly("ev-ok");
        }
    }

    // ================================================================ checks

    private static void assertSummary(CommandRun run, Input in) {
        String[] lines = run.out.strip().split("\n");
        assertThat(lines).as("stdout: %s", run.out).hasSize(1);
        Map<String, Long> counts = summaryCounts(lines[0]);
        assertThat(counts).as(lines[0]).containsKeys("records", "rows", "errors", "files", "data", "error");
        assertThat(counts.get("records")).as("records").isEqualTo(in.lineCount());
        assertThat(counts.get("rows")).as("rows").isEqualTo(in.goods.size());
        assertThat(counts.get("errors")).as("errors").isEqualTo(in.bads.size());
        assertThat(counts.get("files")).as("files").isEqualTo(counts.get("data") + counts.get("error"));
    }

    /** The name=number pairs of the summary line ("records=25 rows=13 ... (data=13, error=11) ..."). */
    static Map<String, Long> summaryCounts(String line) {
        Map<String, Long> counts = new HashMap<>();
        Matcher m = Pattern.compile("([a-z_]+)=(\\d+)\\b").matcher(line);
        while (m.find()) {
            counts.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return counts;
    }

    /** When {@code file} was last written, in epoch microseconds. */
    static long lastModifiedMicros(Path file) throws IOException {
        return Files.getLastModifiedTime(file).toMillis() * 1000;
    }

    static void assertErrorOutput(Path out, Input in, String shard, long fileLastModifiedMicros)
            throws IOException {
        Map<Long, JsonNode> bySeq = errorLinesBySequence(out); // also checks reason= and dt= against each line
        assertThat(bySeq.keySet()).containsExactlyInAnyOrderElementsOf(in.bads.keySet());

        Set<Long> all = new HashSet<>(in.goods.keySet());
        all.addAll(bySeq.keySet());
        assertThat(all).hasSize((int) in.lineCount());
        assertThat(in.goods.keySet()).doesNotContainAnyElementsOf(bySeq.keySet());

        for (Map.Entry<Long, JsonNode> e : bySeq.entrySet()) {
            Bad expected = in.bads.get(e.getKey());
            JsonNode j = e.getValue();
            String where = "error line " + e.getKey();
            assertThat(j.get("error_code").asText()).as(where).isEqualTo(expected.code);
            assertThat(j.get("error_message").asText()).as(where).isNotBlank().contains(expected.messageContains);
            assertThat(Base64.getDecoder().decode(j.get("raw_data").asText())).as(where + ": raw_data is the exact line")
                    .isEqualTo(expected.raw);
            assertThat(j.get("shard_id").asText()).as(where).isEqualTo(shard);
            assertThat(j.get("sequence_number").isTextual()).as(where).isTrue();
            assertThat(j.get("sub_sequence_number").asLong()).as(where).isZero();
            assertThat(j.get("sub_sequence_number").isIntegralNumber()).as(where).isTrue();
            Instant arrival = Instant.parse(j.get("arrival_time").asText());
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, arrival);
            // convert has no arrival time for lines without an event time: their file's last change stands in
            assertThat(micros).as(where).isEqualTo(fileLastModifiedMicros);
        }
    }

    /** Reads every error file; asserts the fields, the reason= and dt= directories, one line per record. */
    private static Map<Long, JsonNode> errorLinesBySequence(Path out) throws IOException {
        Map<Long, JsonNode> bySeq = new HashMap<>();
        Path errors = out.resolve("errors");
        if (!Files.isDirectory(errors)) {
            return bySeq;
        }
        Pattern layout = Pattern.compile("errors/table=[A-Za-z0-9_.-]+/reason=([a-z0-9_]+)/dt=(\\d{4}-\\d{2}-\\d{2})/local~(local-[A-Za-z0-9._-]+)~[0-9a-z]+\\.jsonl");
        LocalDirectoryStore store = new LocalDirectoryStore(out);
        for (Path f : DuckDbLake.files(errors, "")) {
            String rel = out.relativize(f).toString().replace('\\', '/');
            Matcher m = layout.matcher(rel);
            assertThat(m.matches()).as("error object key %s", rel).isTrue();
            String reason = m.group(1);
            String dt = m.group(2);
            ObjectNames names = new ObjectNames("local", m.group(3));
            List<String> lines = Files.readAllLines(f, UTF_8);
            assertThat(lines).as(rel).isNotEmpty();
            long firstInFile = Long.MAX_VALUE;
            long lastInFile = Long.MIN_VALUE;
            for (String line : lines) {
                JsonNode j = JSON.readTree(line);
                assertThat(j.isObject()).as(line).isTrue();
                Set<String> fields = new TreeSet<>();
                j.fieldNames().forEachRemaining(fields::add);
                assertThat(fields).as(rel).containsExactlyInAnyOrder("error_code", "error_message", "raw_data", "shard_id",
                        "sequence_number", "sub_sequence_number", "arrival_time");
                assertThat(j.get("error_code").asText()).as(rel).isEqualTo(reason);
                assertThat(j.get("shard_id").asText()).as(rel + ": the shard its name says").isEqualTo(names.shardId());
                assertThat(LocalDate.ofInstant(Instant.parse(j.get("arrival_time").asText()), ZoneOffset.UTC).toString())
                        .as(rel + ": dt= is the arrival day").isEqualTo(dt);
                long seq = Long.parseLong(j.get("sequence_number").asText());
                assertThat(bySeq.put(seq, j)).as("line %d in the error output more than once", seq).isNull();
                firstInFile = Math.min(firstInFile, seq);
                lastInFile = Math.max(lastInFile, seq);
            }
            String dir = rel.substring(0, rel.lastIndexOf('/'));
            assertThat(names.startOf(dir, rel)).as(rel + ": named by its first sequence number")
                    .contains(SequenceNumber.of(firstInFile));
            assertThat(store.metadata(rel).orElseThrow().get("lakehose-last")).as(rel + ": its last is in its metadata")
                    .isEqualTo(Long.toString(lastInFile));
        }
        return bySeq;
    }

    static void assertSameJson(String actual, String expected, String where) throws IOException {
        if (expected == null) {
            assertThat(actual).as(where).isNull();
            return;
        }
        assertThat(actual).as(where).isNotNull();
        assertThat(JSON.readTree(actual)).as(where).isEqualTo(JSON.readTree(expected));
    }

    /** All rows with partition columns, times as epoch micros, and dt/hour recomputed from event_time. */
    private static List<Map<String, Object>> lakeRows(DuckDbLake duck, Path out) {
        return duck.query("SELECT \"table\", dt, hour, event_id, event_name, table_name, aws_region, "
                + "epoch_us(event_time) AS event_us, user_identity, keys, new_image, old_image, size_bytes, shard_id, "
                + "sequence_number, sub_sequence_number, epoch_us(arrival_time) AS arrival_us, "
                + "strftime(make_timestamp(epoch_us(event_time)), '%Y-%m-%d') AS dt_from_time, "
                + "strftime(make_timestamp(epoch_us(event_time)), '%H') AS hour_from_time "
                + "FROM " + DuckDbLake.lake(out) + " ORDER BY CAST(sequence_number AS BIGINT)");
    }

    /**
     * The shard convert gives {@code file} without --source-id: "local-" and the first 12 hex digits
     * of the SHA-256 of its real path (README, "convert"), computed here on its own.
     */
    static String shardOf(Path file) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(file.toRealPath().toString().getBytes(UTF_8));
        return "local-" + HexFormat.of().formatHex(digest).substring(0, 12);
    }

    static List<String> relativeFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().collect(Collectors.toList());
        }
    }

    private static CommandRun convert(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("convert", "--input", input.file(shared).toString(),
                "--output", out.toString()));
        args.addAll(List.of(extra));
        return CommandRun.of(args.toArray(String[]::new));
    }


    // ================================================================ the input

    /**
     * An expected row. Images null when absent. {@code compareImagesAsJson}: compare keys and images
     * as parsed JSON instead of exact strings (for emoji, which the writer may emit as escapes).
     */
    record Row(String eventId, String eventName, String table, String region, long eventMicros, String userIdentity,
               String keys, String newImage, String oldImage, Long sizeBytes, boolean compareImagesAsJson) {
    }

    /** An expected error line: its code, the exact bytes of the line, a word its message must contain. */
    record Bad(String code, byte[] raw, String messageContains) {
    }

    static final class Input {
        final List<byte[]> lines = new ArrayList<>();
        final List<String> terminators = new ArrayList<>();
        final Map<Long, Row> goods = new LinkedHashMap<>();
        final Map<Long, Bad> bads = new LinkedHashMap<>();

        long lineCount() {
            return lines.size();
        }

        void good(String json, Row expected) {
            lines.add(json.getBytes(UTF_8));
            terminators.add("\n");
            goods.put((long) lines.size(), expected);
        }

        void bad(byte[] raw, String code, String messageContains) {
            bad(raw, code, messageContains, "\n");
        }

        void bad(byte[] raw, String code, String messageContains, String terminator) {
            lines.add(raw);
            terminators.add(terminator);
            bads.put((long) lines.size(), new Bad(code, raw, messageContains));
        }

        /** {@code dir/changes.jsonl} holding {@link #bytes()}, written on the first call. */
        Path file(Path dir) {
            Path file = dir.resolve("changes.jsonl");
            try {
                if (!Files.exists(file)) {
                    Files.write(file, bytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return file;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < lines.size(); i++) {
                out.writeBytes(lines.get(i));
                if (i < lines.size() - 1) {
                    out.writeBytes(terminators.get(i).getBytes(UTF_8)); // the last line has no newline
                }
            }
            return out.toByteArray();
        }

        static Input mixed() {
            Input in = new Input();
            // 1: INSERT with every attribute type
            long t1 = ms("2024-11-25T07:15:00.123Z");
            in.good(cdc("ev-01", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND",
                            "{\"pk\": {\"S\": \"o#1\"}, \"sk\": {\"N\": \"1\"}}",
                            "{\"pk\": {\"S\": \"o#1\"}, \"sk\": {\"N\": \"1\"}, \"s\": {\"S\": \"text\"}, \"n\": {\"N\": \"-12.50\"}, "
                                    + "\"b\": {\"B\": \"AAEC/w==\"}, \"t\": {\"BOOL\": true}, \"f\": {\"BOOL\": false}, \"z\": {\"NULL\": true}, "
                                    + "\"ss\": {\"SS\": [\"x\", \"y\"]}, \"ns\": {\"NS\": [\"1\", \"0.000000000000000000000000000000000000001\"]}, "
                                    + "\"bs\": {\"BS\": [\"AQ==\", \"Ag==\"]}, "
                                    + "\"m\": {\"M\": {\"l\": {\"L\": [{\"M\": {\"deep\": {\"N\": \"-1E-130\"}}}, {\"S\": \"s\"}, {\"NULL\": true}]}}}}",
                            null, 321L),
                    new Row("ev-01", "INSERT", "orders", "us-east-1", t1 * 1000, null,
                            "{\"pk\":\"o#1\",\"sk\":1}",
                            "{\"pk\":\"o#1\",\"sk\":1,\"s\":\"text\",\"n\":-12.50,\"b\":\"AAEC/w==\",\"t\":true,\"f\":false,\"z\":null,"
                                    + "\"ss\":[\"x\",\"y\"],\"ns\":[1,0.000000000000000000000000000000000000001],\"bs\":[\"AQ==\",\"Ag==\"],"
                                    + "\"m\":{\"l\":[{\"deep\":-1E-130},\"s\",null]}}",
                            null, 321L, false));
            // 2: truncated JSON
            in.bad(cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    null, null, 1L).substring(0, 60).getBytes(UTF_8), "invalid_json", "truncated");
            // 3, 4: MODIFY either side of an hour boundary, with 38-digit numbers
            long t3 = ms("2024-11-25T07:59:59.999Z");
            in.good(cdc("ev-03", "MODIFY", "orders", "us-east-1", "null", t3, "MILLISECOND", "{\"pk\": {\"S\": \"o#1\"}}",
                            "{\"amount\": {\"N\": \"12345678901234567890123456789012345678\"}}",
                            "{\"amount\": {\"N\": \"-99999999999999999999999999999999999999\"}}", 77L),
                    new Row("ev-03", "MODIFY", "orders", "us-east-1", t3 * 1000, null, "{\"pk\":\"o#1\"}",
                            "{\"amount\":12345678901234567890123456789012345678}",
                            "{\"amount\":-99999999999999999999999999999999999999}", 77L, false));
            long t4 = ms("2024-11-25T08:00:00.000Z");
            in.good(cdc("ev-04", "MODIFY", "orders", "us-east-1", "null", t4, "MILLISECOND", "{\"pk\": {\"S\": \"o#1\"}}",
                            "{\"amount\": {\"N\": \"0.1\"}}", "{\"amount\": {\"N\": \"12345678901234567890123456789012345678\"}}", 78L),
                    new Row("ev-04", "MODIFY", "orders", "us-east-1", t4 * 1000, null, "{\"pk\":\"o#1\"}",
                            "{\"amount\":0.1}", "{\"amount\":12345678901234567890123456789012345678}", 78L, false));
            // 5: not an object
            in.bad("[1,2]".getBytes(UTF_8), "not_an_object", "not an object");
            // 6: microsecond precision, second table and region, CJK and escapes
            long t6 = us("2024-11-25T08:30:00.123456Z");
            in.good(cdc("ev-06", "INSERT", "users", "eu-west-1", "null", t6, "MICROSECOND", "{\"id\": {\"S\": \"用户-1\"}}",
                            "{\"id\": {\"S\": \"用户-1\"}, \"name\": {\"S\": \"陈 Béatrice\"}, "
                                    + "\"note\": {\"S\": \"quote \\\" backslash \\\\ newline \\n nul \\u0000 tab \\t\"}}",
                            null, 55L),
                    new Row("ev-06", "INSERT", "users", "eu-west-1", t6, null, "{\"id\":\"用户-1\"}",
                            "{\"id\":\"用户-1\",\"name\":\"陈 Béatrice\",\"note\":\"quote \\\" backslash \\\\ newline \\n nul \\u0000 tab \\t\"}",
                            null, 55L, false));
            // 7: an object that is not a CDC record
            in.bad("{\"hello\": \"world\"}".getBytes(UTF_8), "not_a_cdc_record", "missing");
            // 8: TTL delete
            long t8 = ms("2024-11-25T09:10:00.000Z");
            in.good(cdc("ev-08", "REMOVE", "users", "eu-west-1", TTL_IDENTITY, t8, "MILLISECOND", "{\"id\": {\"S\": \"u2\"}}",
                            null, "{\"id\": {\"S\": \"u2\"}, \"expires\": {\"N\": \"1732525800\"}}", 40L),
                    new Row("ev-08", "REMOVE", "users", "eu-west-1", t8 * 1000, "dynamodb.amazonaws.com", "{\"id\":\"u2\"}",
                            null, "{\"id\":\"u2\",\"expires\":1732525800}", 40L, false));
            // 9: unknown type tag
            in.bad(cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    "{\"price\": {\"X\": \"1\"}}", null, 1L).getBytes(UTF_8), "unknown_attribute_type", "'price'");
            // 10: keys only (KEYS_ONLY stream view), no SizeBytes
            long t10 = ms("2024-11-25T09:20:00.000Z");
            in.good(cdc("ev-10", "MODIFY", "users", "eu-west-1", "null", t10, "MILLISECOND",
                            "{\"id\": {\"S\": \"u3\"}, \"v\": {\"B\": \"AQID\"}}", null, null, null),
                    new Row("ev-10", "MODIFY", "users", "eu-west-1", t10 * 1000, null, "{\"id\":\"u3\",\"v\":\"AQID\"}",
                            null, null, null, false));
            // 11: raw invalid UTF-8 inside a string value
            String[] around = cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND",
                    "{\"pk\": {\"S\": \"bad@@byte\"}}", null, null, 1L).split("@@", 2);
            in.bad(concat(around[0].getBytes(UTF_8), new byte[]{(byte) 0xFF, (byte) 0xFE}, around[1].getBytes(UTF_8)),
                    "invalid_utf8", "UTF-8");
            // 12, 14: either side of midnight UTC (milliseconds)
            long t12 = ms("2024-11-25T23:59:59.999Z");
            in.good(cdc("ev-12", "INSERT", "orders", "us-east-1", "null", t12, "MILLISECOND", "{\"pk\": {\"S\": \"o#12\"}}",
                            "{\"pk\": {\"S\": \"o#12\"}}", null, 12L),
                    new Row("ev-12", "INSERT", "orders", "us-east-1", t12 * 1000, null, "{\"pk\":\"o#12\"}",
                            "{\"pk\":\"o#12\"}", null, 12L, false));
            // 13: empty line
            in.bad(new byte[0], "empty_record", "empty");
            long t14 = ms("2024-11-26T00:00:00.000Z");
            in.good(cdc("ev-14", "INSERT", "orders", "us-east-1", "null", t14, "MILLISECOND", "{\"pk\": {\"S\": \"o#14\"}}",
                            "{\"pk\": {\"S\": \"o#14\"}}", null, 14L),
                    new Row("ev-14", "INSERT", "orders", "us-east-1", t14 * 1000, null, "{\"pk\":\"o#14\"}",
                            "{\"pk\":\"o#14\"}", null, 14L, false));
            // 15: N that is not a number
            in.bad(cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    "{\"price\": {\"N\": \"abc\"}}", null, 1L).getBytes(UTF_8), "invalid_attribute_value", "'price'");
            // 16, 17: either side of midnight UTC (microseconds)
            long t16 = us("2024-11-25T23:59:59.999999Z");
            in.good(cdc("ev-16", "MODIFY", "users", "eu-west-1", "null", t16, "MICROSECOND", "{\"id\": {\"S\": \"u16\"}}",
                            "{\"n\": {\"N\": \"2\"}}", "{\"n\": {\"N\": \"1\"}}", 16L),
                    new Row("ev-16", "MODIFY", "users", "eu-west-1", t16, null, "{\"id\":\"u16\"}",
                            "{\"n\":2}", "{\"n\":1}", 16L, false));
            long t17 = us("2024-11-26T00:00:00.000000Z");
            in.good(cdc("ev-17", "MODIFY", "users", "eu-west-1", "null", t17, "MICROSECOND", "{\"id\": {\"S\": \"u16\"}}",
                            "{\"n\": {\"N\": \"3\"}}", "{\"n\": {\"N\": \"2\"}}", 17L),
                    new Row("ev-17", "MODIFY", "users", "eu-west-1", t17, null, "{\"id\":\"u16\"}",
                            "{\"n\":3}", "{\"n\":2}", 17L, false));
            // 18: trailing garbage after a good object
            in.bad((cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    null, null, 1L) + " xyz").getBytes(UTF_8), "invalid_json", "xyz");
            // 19: a ~6 MiB record (three 2 MiB attributes): longer than convert's 4 MiB read batches
            long t19 = ms("2024-11-26T00:30:00.000Z");
            String a = filler(2 * 1024 * 1024, 0);
            String b = filler(2 * 1024 * 1024, 7);
            String c = filler(2 * 1024 * 1024, 13);
            in.good(cdc("ev-19", "INSERT", "orders", "us-east-1", "null", t19, "MILLISECOND", "{\"pk\": {\"S\": \"o#19\"}}",
                            "{\"pk\": {\"S\": \"o#19\"}, \"a\": {\"S\": \"" + a + "\"}, \"l\": {\"L\": [{\"S\": \"" + b + "\"}]}, "
                                    + "\"m\": {\"M\": {\"c\": {\"S\": \"" + c + "\"}}}}", null, 6291456L),
                    new Row("ev-19", "INSERT", "orders", "us-east-1", t19 * 1000, null, "{\"pk\":\"o#19\"}",
                            "{\"pk\":\"o#19\",\"a\":\"" + a + "\",\"l\":[\"" + b + "\"],\"m\":{\"c\":\"" + c + "\"}}",
                            null, 6291456L, false));
            // 20: B that is not base64
            in.bad(cdc("ev-x", "INSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    "{\"blob\": {\"B\": \"not base64!\"}}", null, 1L).getBytes(UTF_8), "invalid_attribute_value", "'blob'");
            // 21: whitespace only
            in.bad("   \t ".getBytes(UTF_8), "empty_record", "empty");
            // 22: a JSON string, with a CRLF line end (the CR is part of the line end, not of the record)
            in.bad("\"str\"".getBytes(UTF_8), "not_an_object", "not an object", "\r\n");
            // 23: REMOVE by a user, with emoji (compared as JSON: the writer may escape surrogate pairs)
            long t23 = ms("2024-11-26T01:00:00.000Z");
            in.good(cdc("ev-23", "REMOVE", "orders", "us-east-1", "{\"type\": \"IAMUser\", \"principalId\": \"AIDAUSER\"}", t23,
                            "MILLISECOND", "{\"pk\": {\"S\": \"o#😀\"}}", null, "{\"pk\": {\"S\": \"o#😀\"}, \"mood\": {\"S\": \"🎉 中\"}}", 23L),
                    new Row("ev-23", "REMOVE", "orders", "us-east-1", t23 * 1000, "AIDAUSER", "{\"pk\":\"o#😀\"}",
                            null, "{\"pk\":\"o#😀\",\"mood\":\"🎉 中\"}", 23L, true));
            // 24: eventName that is not INSERT/MODIFY/REMOVE
            in.bad(cdc("ev-x", "UPSERT", "orders", "us-east-1", "null", t1, "MILLISECOND", "{\"pk\": {\"S\": \"o#9\"}}",
                    null, null, 1L).getBytes(UTF_8), "not_a_cdc_record", "UPSERT");
            // 25: the last line, without a newline at the end of the file
            long t25 = ms("2024-11-26T01:30:00.000Z");
            in.good(cdc("ev-25", "MODIFY", "orders", "us-east-1", "null", t25, "MILLISECOND", "{\"pk\": {\"S\": \"o#25\"}}",
                            "{\"v\": {\"BOOL\": true}}", "{\"v\": {\"BOOL\": false}}", 25L),
                    new Row("ev-25", "MODIFY", "orders", "us-east-1", t25 * 1000, null, "{\"pk\":\"o#25\"}",
                            "{\"v\":true}", "{\"v\":false}", 25L, false));
            return in;
        }
    }

    /** A DynamoDB-on-Kinesis record as one line; images/sizeBytes omitted when null. */
    static String cdc(String eventId, String eventName, String table, String region, String userIdentityJson, long time,
                      String precision, String keys, String newImage, String oldImage, Long sizeBytes) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"awsRegion\": \"").append(region).append("\", \"eventID\": \"").append(eventId)
                .append("\", \"eventName\": \"").append(eventName).append("\", \"userIdentity\": ").append(userIdentityJson)
                .append(", \"recordFormat\": \"application/json\", \"tableName\": \"").append(table)
                .append("\", \"dynamodb\": {\"ApproximateCreationDateTime\": ").append(time)
                .append(", \"ApproximateCreationDateTimePrecision\": \"").append(precision).append("\", \"Keys\": ").append(keys);
        if (newImage != null) {
            sb.append(", \"NewImage\": ").append(newImage);
        }
        if (oldImage != null) {
            sb.append(", \"OldImage\": ").append(oldImage);
        }
        if (sizeBytes != null) {
            sb.append(", \"SizeBytes\": ").append(sizeBytes);
        }
        return sb.append("}, \"eventSource\": \"aws:dynamodb\"}").toString();
    }

    static long ms(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    static long us(String iso) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse(iso));
    }

    static String filler(int chars, int seed) {
        StringBuilder sb = new StringBuilder(chars);
        for (int i = 0; i < chars; i++) {
            sb.append((char) ('a' + (seed + i * 7) % 26));
        }
        return sb.toString();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
