package io.lakehose.cli;

import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.FirehoseArchive;
import io.lakehose.testing.FirehoseArchive.Delimiter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert} over a Firehose archive on disk (issue #14 section 4; docs/design.md, "Interfaces"): GZIP
 * by its magic bytes, a directory read recursively in name order, sequence numbers from (file,
 * position) so that a second conversion adds nothing, and a file that is neither JSON nor GZIP
 * refused as a whole. The lake is read back by DuckDB.
 */
class ConvertArchiveTest {

    private static final Instant H07 = Instant.parse("2024-11-25T07:00:00Z");
    private static final Instant H08 = Instant.parse("2024-11-25T08:00:00Z");
    private static final Instant H09 = Instant.parse("2024-11-25T09:00:00Z");
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
        Path input = archive.writeTo(dir.resolve("firehose"));
        Path lake = dir.resolve("lake");

        CommandRun run = convert(input, lake, "--show");

        assertThat(run.exit).as(run.err).isZero();
        List<String> lines = run.outLines();
        assertThat(lines.get(0)).startsWith("converted 4 files under " + input + " (first 2024/11/25/07/")
                .contains(", last 2024/11/25/09/");
        assertThat(counts(lines.get(0))).containsEntry("records", 100L).containsEntry("rows", 100L);
        assertThat(lines).contains("files read under " + input + " (number, name, format, records):");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("  0  2024/11/25/07/\\S+-a  lines  30"))
                .anySatisfy(l -> assertThat(l).matches("  1  2024/11/25/08/\\S+-b1  lines  10"))
                .anySatisfy(l -> assertThat(l).matches("  2  2024/11/25/08/\\S+-b2  gzip, lines  20"))
                .anySatisfy(l -> assertThat(l).matches("  3  2024/11/25/09/\\S+-c  gzip, lines  40"));
        assertThat(sequencesByEventId(lake)).isEqualTo(archive.expectedSequences());
    }

    @Test
    void convertingTheSameArchiveTwiceAddsNothing(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H07, "a", 300, Delimiter.NEWLINE, true)
                .add(H08, "b", 200, Delimiter.NEWLINE, false)
                .add(H08, "c", 250, Delimiter.NEWLINE, true)
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

    @Test
    void aTruncatedGzipStopsTheRunNamingTheFile(@TempDir Path dir) throws Exception {
        byte[] whole = new FirehoseArchive().add(H08, "a", 5_000, Delimiter.NEWLINE, true).objects().get(0).bytes();
        Path file = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(whole, whole.length / 2));

        CommandRun run = convert(file, dir.resolve("lake"));

        assertThat(run.exit).isEqualTo(1);
        assertOneLineError(run.err).contains("cannot read " + file, "Unexpected end of ZLIB input stream");
    }

    // ---------------------------------------------------------------- helpers

    private static CommandRun convert(Path input, Path lake, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("convert", "--input", input.toString(), "--output",
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

    static org.assertj.core.api.AbstractStringAssert<?> assertOneLineError(String err) {
        String trimmed = err.strip();
        assertThat(trimmed.split("\\R")).as("stderr must be one line:%n%s", err).hasSize(1);
        return assertThat(trimmed).startsWith("error:").doesNotContain("at io.", "\tat ", "Exception");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
