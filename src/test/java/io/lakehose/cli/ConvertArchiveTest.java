package io.lakehose.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.FirehoseArchive;
import io.lakehose.testing.FirehoseArchive.Delimiter;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert} over a Firehose archive on disk (issue #14 section 4; docs/design.md, "Interfaces"): GZIP
 * by its magic bytes, a directory read recursively in name order, records concatenated without a
 * delimiter or one per line, sequence numbers from (file, position) so that a second conversion
 * adds nothing, a file that is neither JSON nor GZIP refused as a whole, and the rest of a file
 * that cannot be split kept in the error output. The lake is read back by DuckDB.
 */
class ConvertArchiveTest {

    private static final Instant H07 = Instant.parse("2024-11-25T07:00:00Z");
    private static final Instant H08 = Instant.parse("2024-11-25T08:00:00Z");
    private static final Instant H09 = Instant.parse("2024-11-25T09:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};

    @Test
    void aGzipFileIsDecompressedWhateverItsName(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive().add(H08, "a", 218, Delimiter.NEWLINE, true);
        Path gz = Files.write(dir.resolve("changes"), archive.objects().get(0).bytes()); // no .gz: the bytes tell
        Path lake = dir.resolve("lake");

        CommandRun run = convert(gz, lake);

        assertThat(run.exit).as(run.err).isZero();
        assertThat(counts(run.out)).containsEntry("records", 218L).containsEntry("rows", 218L).containsEntry("errors", 0L);
        assertThat(run.out).startsWith("converted " + gz + " -> ");
        assertThat(sequencesByEventId(lake)).isEqualTo(archive.expectedSequences());
    }

    @Test
    void aDirectoryIsReadRecursivelyInNameOrderAndTheSummaryNamesTheFiles(@TempDir Path dir) throws Exception {
        // added out of name order, plain and GZIP mixed: the order read is the keys' order
        FirehoseArchive archive = new FirehoseArchive()
                .add(H09, "c", 40, Delimiter.NEWLINE, true)
                .add(H07, "a", 30, Delimiter.NEWLINE, false)
                .add(H08, "b2", 20, Delimiter.NEWLINE, true)
                .add(H08, "b1", 10, Delimiter.NEWLINE, false);
        Path input = dir.resolve("firehose");

        CommandRun run = convertArchiveShown(archive, dir);

        List<String> lines = run.outLines();
        assertThat(lines.get(0)).startsWith("converted 4 files under " + input + " (first 2024/11/25/07/")
                .contains(", last 2024/11/25/09/");
        assertThat(counts(lines.get(0))).containsEntry("records", 100L).containsEntry("rows", 100L);
        assertThat(lines).contains("files read under " + input + " (number, name, format, records):");
        assertListed(run, "  0  2024/11/25/07/\\S+-a  lines  30", "  1  2024/11/25/08/\\S+-b1  lines  10",
                "  2  2024/11/25/08/\\S+-b2  gzip, lines  20", "  3  2024/11/25/09/\\S+-c  gzip, lines  40");
    }

    @Test
    void convertingTheSameArchiveTwiceAddsNothing(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H07, "a", 300, Delimiter.NONE, true)
                .add(H08, "b", 200, Delimiter.NEWLINE, false)
                .add(H08, "c", 250, Delimiter.NONE, true)
                .add(H09, "d", 100, Delimiter.NEWLINE, true);
        Path input = archive.writeTo(dir.resolve("firehose"));
        Path lake = dir.resolve("lake");
        Path config = Files.writeString(dir.resolve("small-files.yaml"), "buffer:\n  maxRecords: 64\n"); // many objects

        CommandRun first = convert(input, lake, "--config", config.toString());
        assertThat(first.exit).as(first.err).isZero();
        List<Path> objectsAfterFirst = DuckDbLake.parquetFiles(lake);
        assertThat(objectsAfterFirst).hasSizeGreaterThan(8);

        CommandRun second = convert(input, lake, "--config", config.toString());
        assertThat(second.exit).as(second.err).isZero();
        assertThat(counts(second.out)).as(second.out).containsEntry("records", 850L).containsEntry("files", 0L);

        assertThat(DuckDbLake.parquetFiles(lake)).isEqualTo(objectsAfterFirst);
        try (DuckDbLake duck = DuckDbLake.open()) {
            Map<String, Object> c = duck.query("SELECT count(*) AS n, count(DISTINCT event_id) AS ids, "
                    + "count(DISTINCT sequence_number) AS seqs FROM " + DuckDbLake.lake(lake)).get(0);
            assertThat(c).containsEntry("n", 850L).containsEntry("ids", 850L).containsEntry("seqs", 850L);
        }
        assertThat(sequencesByEventId(lake)).isEqualTo(archive.expectedSequences());
    }

    @Test
    void objectsAreScopedLocalEvenWithTheServicesConfiguration(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("object"),
                new FirehoseArchive().add(H08, "a", 20, Delimiter.NONE, true).objects().get(0).bytes());
        Path config = Files.writeString(dir.resolve("service.yaml"), "kinesis:\n  stream: orders-cdc\n");
        Path lake = dir.resolve("lake");

        CommandRun run = convert(file, lake, "--config", config.toString());

        assertThat(run.exit).as(run.err).isZero();
        assertThat(DuckDbLake.parquetFiles(lake)).isNotEmpty()
                .allSatisfy(f -> assertThat(f.getFileName().toString()).matches("local~local-[0-9a-f]{12}~[0-9a-z]+\\.parquet"));
    }

    @Test
    void fiftyConcatenatedRecordsAreFiftyRows(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive().add(H08, "a", 50, Delimiter.NONE, false);
        Path file = Files.write(dir.resolve("firehose-object"), archive.objects().get(0).bytes());
        Path lake = dir.resolve("lake");

        CommandRun run = convert(file, lake, "--show");

        assertThat(run.exit).as(run.err).isZero();
        assertThat(counts(run.outLines().get(0))).containsEntry("records", 50L).containsEntry("rows", 50L)
                .containsEntry("errors", 0L);
        assertThat(run.outLines()).anySatisfy(l -> assertThat(l).isEqualTo("  0  " + file + "  concatenated  50"));
        assertThat(sequencesByEventId(lake)).isEqualTo(archive.expectedSequences());
    }

    @Test
    void aGzipArchiveOfBothDelimitersIsReadAsFirehoseWroteIt(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H07, "a", 120, Delimiter.NONE, true)
                .add(H08, "b", 80, Delimiter.NEWLINE, true)
                .add(H09, "c", 1, Delimiter.NONE, true);

        CommandRun run = convertArchiveShown(archive, dir);

        assertListed(run, "  0  \\S+-a  gzip, concatenated  120", "  1  \\S+-b  gzip, lines  80",
                "  2  \\S+-c  gzip, lines  1"); // one record: either way
    }

    @Test
    void eachConcatenatedRecordIsDecodedFromItsOwnBytes(@TempDir Path dir) throws Exception {
        byte[] good1 = utf8(FirehoseArchive.record(1, H08));
        byte[] twice = utf8(FirehoseArchive.record(2, H08).replace("\"eventName\":\"MODIFY\"",
                "\"eventName\":\"MODIFY\",\"eventName\":\"INSERT\""));
        String[] around = FirehoseArchive.record(3, H08).split("r3 ", 2);
        byte[] invalidUtf8 = concat(utf8(around[0]), new byte[]{(byte) 0xC0, (byte) 0xAF}, utf8(around[1]));
        byte[] good4 = utf8(FirehoseArchive.record(4, H08));
        Path file = Files.write(dir.resolve("object"), concat(good1, twice, invalidUtf8, good4));
        Path lake = dir.resolve("lake");

        CommandRun run = convert(file, lake);

        assertThat(run.exit).as(run.err).isZero();
        assertThat(sequencesByEventId(lake)).isEqualTo(Map.of("ev-1", "1", "ev-4", "4"));
        Map<String, JsonNode> errors = errorLinesBySequence(lake);
        assertThat(errors.keySet()).containsExactlyInAnyOrder("2", "3");
        assertThat(errors.get("2").get("error_code").asText()).isEqualTo("duplicate_key");
        assertThat(Base64.getDecoder().decode(errors.get("2").get("raw_data").asText())).isEqualTo(twice);
        assertThat(errors.get("3").get("error_code").asText()).isEqualTo("invalid_utf8");
        assertThat(Base64.getDecoder().decode(errors.get("3").get("raw_data").asText())).isEqualTo(invalidUtf8);
    }

    @Test
    void aRecordThatBreaksTheSplitSendsTheRestOfItsFileToTheErrorOutputAndTheNextFileIsRead(@TempDir Path dir)
            throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H07, "a", 10, Delimiter.NONE, false)
                .add(H08, "b", 3, Delimiter.NONE, true);
        Path input = archive.writeTo(dir.resolve("firehose"));
        Path broken = input.resolve(archive.objects().get(0).key());
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.writeBytes(utf8("{\"awsRegion\":\"us-east-1\",\"eventID\":\"ev-broken\",\"dynamodb\":{\"Keys\":tru}}"));
        for (int i = 100; i < 6_000; i++) {
            rest.writeBytes(utf8(FirehoseArchive.record(i, H07))); // well-formed, but after the break: more than a piece
        }
        Files.write(broken, rest.toByteArray(), StandardOpenOption.APPEND);
        Path lake = dir.resolve("lake");

        CommandRun run = convert(input, lake);

        assertThat(run.exit).as(run.err).isZero();
        Map<String, String> expectedRows = new HashMap<>(archive.expectedSequences());
        assertThat(sequencesByEventId(lake)).as("the records before the break and the next file").isEqualTo(expectedRows);
        Map<String, JsonNode> errors = errorLinesBySequence(lake);
        List<String> pieces = errors.keySet().stream().sorted(Comparator.comparingLong(Long::parseLong)).toList();
        assertThat(pieces).hasSizeGreaterThan(1).first().isEqualTo("11");
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (String seq : pieces) {
            JsonNode e = errors.get(seq);
            assertThat(e.get("error_code").asText()).isEqualTo("invalid_json");
            assertThat(e.get("error_message").asText()).contains(broken.toString(), "cannot be split from byte",
                    "none of it converted");
            joined.writeBytes(Base64.getDecoder().decode(e.get("raw_data").asText()));
        }
        assertThat(joined.toByteArray()).as("the error output holds the rest of the file, byte for byte")
                .isEqualTo(rest.toByteArray());
        assertThat(counts(run.out)).containsEntry("errors", (long) pieces.size()).containsEntry("rows", 13L);
    }

    @Test
    void aFileThatIsNeitherJsonNorGzipIsRefusedAsAWholeAndNothingOfItIsWritten(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H07, "a", 30, Delimiter.NEWLINE, true)
                .addRaw("2024/11/25/08/diagram.png", PNG)
                .add(H09, "c", 40, Delimiter.NEWLINE, false);
        Path input = archive.writeTo(dir.resolve("firehose"));
        Path png = input.resolve("2024/11/25/08/diagram.png");
        Path lake = dir.resolve("lake");

        CommandRun run = convert(input, lake);

        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains(png.toString(), "neither GZIP nor JSON text", "89 50 4e 47",
                "file 2 of 3", "the 1 before it are converted");
        assertThat(run.out).isEmpty();
        // the file before it is in the lake, whole; nothing of the PNG (no error records) nor after it
        Map<String, String> expected = new HashMap<>();
        archive.expectedSequences().forEach((id, seq) -> {
            if (archive.objects().get(0).eventIds().contains(id)) {
                expected.put(id, seq);
            }
        });
        assertThat(sequencesByEventId(lake)).isEqualTo(expected);
        assertThat(lake.resolve("errors")).doesNotExist();
    }

    @Test
    void randomBytesAreRefusedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        byte[] noise = new byte[100_000];
        new Random(14).nextBytes(noise);
        noise[0] = '{'; // even when it starts like JSON
        Path file = Files.write(dir.resolve("noise.json"), noise);
        Path lake = dir.resolve("lake");

        CommandRun run = convert(file, lake);

        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains(file.toString(), "neither GZIP nor JSON text", "control byte");
        assertThat(DuckDbLake.files(lake, "")).isEmpty();
    }

    @Test
    void gzipWhoseContentIsNotJsonIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("picture.gz"), FirehoseArchive.gzip(PNG));
        Path lake = dir.resolve("lake");

        CommandRun run = convert(file, lake);

        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains(file.toString(), "is GZIP, but its content is not JSON text");
        assertThat(DuckDbLake.files(lake, "")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Delimiter.class)
    void aTruncatedGzipStopsTheRunNamingTheFile(Delimiter delimiter, @TempDir Path dir) throws Exception {
        byte[] whole = new FirehoseArchive().add(H08, "a", 5_000, delimiter, true).objects().get(0).bytes();
        Path file = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(whole, whole.length / 2));

        CommandRun run = convert(file, dir.resolve("lake"));

        assertThat(run.exit).as("an I/O failure, not error records").isEqualTo(1);
        assertOneLineError(run.err).contains("cannot read " + file, "Unexpected end of ZLIB input stream");
        assertThat(dir.resolve("lake/errors")).doesNotExist();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Converts {@code archive}, written under {@code dir/firehose}, into {@code dir/lake} with
     * {@code --show}; asserts it succeeded and the lake holds every record once at its expected
     * sequence number.
     */
    private static CommandRun convertArchiveShown(FirehoseArchive archive, Path dir) throws Exception {
        Path lake = dir.resolve("lake");
        CommandRun run = convert(archive.writeTo(dir.resolve("firehose")), lake, "--show");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(sequencesByEventId(lake)).isEqualTo(archive.expectedSequences());
        return run;
    }

    /** Each pattern matches one of the output's lines (the files-read list of {@code --show}). */
    private static void assertListed(CommandRun run, String... linePatterns) {
        for (String pattern : linePatterns) {
            assertThat(run.outLines()).anySatisfy(l -> assertThat(l).matches(pattern));
        }
    }

    private static CommandRun convert(Path input, Path lake, String... extra) {
        List<String> args = new ArrayList<>(List.of("convert", "--input", input.toString(), "--output",
                lake.toString(), "--threads", "2"));
        args.addAll(List.of(extra));
        return CommandRun.of(args.toArray(String[]::new));
    }

    /** event_id -> sequence_number of every row; fails on a duplicate event id. */
    static Map<String, String> sequencesByEventId(Path lake) {
        Map<String, String> bySeq = new HashMap<>();
        if (DuckDbLake.parquetFiles(lake).isEmpty()) {
            return bySeq;
        }
        try (DuckDbLake duck = DuckDbLake.open()) {
            for (Map<String, Object> r : duck.query("SELECT event_id, sequence_number FROM " + DuckDbLake.lake(lake))) {
                assertThat(bySeq.put((String) r.get("event_id"), (String) r.get("sequence_number")))
                        .as("event %s twice", r.get("event_id")).isNull();
            }
        }
        return bySeq;
    }

    /** The name=number pairs of a summary line. */
    static Map<String, Long> counts(String line) {
        Map<String, Long> counts = new HashMap<>();
        Matcher m = Pattern.compile("([a-z_]+)=(\\d+)\\b").matcher(line);
        while (m.find()) {
            counts.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return counts;
    }

    static AbstractStringAssert<?> assertOneLineError(String err) {
        String trimmed = err.strip();
        assertThat(trimmed.split("\\R")).as("stderr must be one line:%n%s", err).hasSize(1);
        return assertThat(trimmed).startsWith("error:").doesNotContain("at io.", "\tat ", "Exception");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Every line of the error output by its sequence number; fails on a sequence number twice. */
    static Map<String, JsonNode> errorLinesBySequence(Path lake) throws Exception {
        Map<String, JsonNode> bySeq = new HashMap<>();
        Path errors = lake.resolve("errors");
        if (!Files.isDirectory(errors)) {
            return bySeq;
        }
        for (Path f : DuckDbLake.files(errors, ".jsonl")) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JsonNode j = JSON.readTree(line);
                assertThat(bySeq.put(j.get("sequence_number").asText(), j)).as("error line twice: %s", line).isNull();
            }
        }
        return bySeq;
    }
}
