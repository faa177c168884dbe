package io.lakehose.pipeline;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A convert of records over many partitions in a random time order (issue 16, item 5): its event
 * times are data, not a clock, so no file ends by {@code buffer.maxAgeSeconds}. Before, the
 * newest event time seen sealed every file whose first record was older than it by that age:
 * nearly one object per record here.
 */
class ConvertManyPartitionsTest {

    private static final int TABLES = 20;
    private static final int HOURS = 24;
    private static final int RECORDS = 2_000;
    private static final Instant T0 = Instant.parse("2024-11-25T00:00:00Z");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void randomTimeOrderWritesOneObjectPerPartitionAndEveryRecordOnce(int threads) throws Exception {
        byte[] input = shuffledInput();
        Path lake = dir.resolve("lake");
        convert(lake, threads, input);

        Map<String, Long> objectsPerPartition;
        try (Stream<Path> s = Files.walk(lake)) {
            objectsPerPartition = s.filter(p -> p.toString().endsWith(".parquet"))
                    .collect(Collectors.groupingBy(p -> lake.relativize(p.getParent()).toString(), Collectors.counting()));
        }
        assertThat(objectsPerPartition.size()).as("partitions").isGreaterThan(TABLES * HOURS * 9 / 10);
        assertThat(objectsPerPartition.values().stream().mapToLong(Long::longValue).max().orElse(0))
                .as("most objects in one partition").isEqualTo(1);
        try (DuckDbLake duck = DuckDbLake.open()) {
            Map<String, Object> counts = duck.query("SELECT count(*) AS n, count(DISTINCT sequence_number) AS seqs, "
                    + "count(DISTINCT event_id) AS ids FROM read_parquet("
                    + DuckDbLake.literal(lake.toAbsolutePath() + "/**/*.parquet") + ")").get(0);
            assertThat(counts).as("every record once").containsEntry("n", (long) RECORDS)
                    .containsEntry("seqs", (long) RECORDS).containsEntry("ids", (long) RECORDS);
        }

        List<String> before = relativeFiles(lake);
        convert(lake, 3 - threads, input);
        assertThat(relativeFiles(lake)).as("converting again adds nothing").isEqualTo(before);
    }

    /** {@value #RECORDS} records of {@value #TABLES} tables over {@value #HOURS} hours, in a random order. */
    private static byte[] shuffledInput() throws IOException {
        Random rnd = new Random(16);
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            Instant time = T0.plusMillis(rnd.nextInt(HOURS * 3_600_000));
            records.add(WorkerHarness.change(i, time, String.format("t%02d", rnd.nextInt(TABLES))));
        }
        Collections.shuffle(records, rnd);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] r : records) {
            out.write(r);
            out.write('\n');
        }
        return out.toByteArray();
    }

    private void convert(Path lake, int threads, byte[] input) throws Exception {
        // The default buffer.maxAgeSeconds (300 s) is in force.
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", lake.toString()));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        try (LocalDirectoryStore store = new LocalDirectoryStore(lake)) {
            PipelineContext ctx = Pipelines.context(cfg, Pipelines.convertCommitter(cfg, store, "local"), spool,
                    RowEncoders.envelopeOnly(), new PipelineStats(), true);
            LineBatchReader lines = new LineBatchReader(new ByteArrayInputStream(input), 64 * 1024);
            new FileConverter(ctx, threads, "local", T0.toEpochMilli() * 1000).convert(() -> {
                LineBatchReader.Batch b = lines.next();
                return b == null ? null : RecordBatch.of(0, b);
            });
        }
    }

    private static List<String> relativeFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
