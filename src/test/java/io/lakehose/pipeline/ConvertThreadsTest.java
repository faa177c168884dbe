package io.lakehose.pipeline;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert}'s output does not depend on its number of threads: the same objects, each with
 * the same rows (read back by DuckDB), and a second run with another number of threads adds
 * nothing, also where the input is cut into other batches. The input spans three tables over
 * three hours, files cut every 40 records ({@code buffer.maxRecords}; a convert never cuts by age),
 * late records and bad lines.
 */
class ConvertThreadsTest {

    /** Small batches, so that both threads get many of them. */
    private static final int SMALL_BATCHES = 16 * 1024;
    /** The whole input in one batch. */
    private static final int ONE_BATCH = 4 * 1024 * 1024;
    private static final int RECORDS = 3_000;
    private static final Instant T0 = Instant.parse("2024-11-25T07:50:00Z");

    @TempDir
    static Path dir;
    private static byte[] input;

    @BeforeAll
    static void buildInput() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < RECORDS; i++) {
            if (i % 97 == 13) {
                out.write(("not json " + i).getBytes(StandardCharsets.UTF_8));
            } else {
                // Mostly "orders", some "users", a rare "audit"; every 50th record two minutes late.
                String table = i % 40 == 7 ? "audit" : i % 3 == 0 ? "users" : "orders";
                Instant time = T0.plusMillis(i * 1600L).minusSeconds(i % 50 == 0 ? 120 : 0);
                out.write(WorkerHarness.change(i, time, table));
            }
            out.write('\n');
        }
        input = out.toByteArray();
    }

    @Test
    void oneAndTwoThreadsWriteTheSameObjectsWithTheSameRowsAndAgainAddNothing() throws Exception {
        Path one = dir.resolve("one");
        Path two = dir.resolve("two");
        convert(one, 1, input, SMALL_BATCHES);
        convert(two, 2, input, ONE_BATCH); // cut into slices of FileConverter.SLICE_RECORDS

        Map<String, List<String>> rowsByObject = rowsByObject(one);
        assertThat(rowsByObject.keySet().stream().map(f -> f.substring(0, f.lastIndexOf('/'))).distinct())
                .as("directories").hasSize(9); // 3 tables x 3 hours
        assertThat(rowsByObject).as("objects cut by record count, more than one per directory").hasSizeGreaterThan(30);
        assertThat(rowsByObject(two)).as("objects and their rows, 2 threads against 1").isEqualTo(rowsByObject);
        assertThat(relativeFiles(two)).as("every object, error output included").isEqualTo(relativeFiles(one));

        List<String> before = relativeFiles(one);
        convert(one, 2, input, SMALL_BATCHES);
        convert(two, 1, input, ONE_BATCH);
        assertThat(relativeFiles(one)).as("again with 2 threads").isEqualTo(before);
        assertThat(relativeFiles(two)).as("again with 1 thread").isEqualTo(before);
        assertThat(rowsByObject(one)).isEqualTo(rowsByObject);
        assertThat(rowsByObject(two)).isEqualTo(rowsByObject);
    }

    /**
     * Table "rare" has a record at 08:00, then only a late one (08:04:59) after "busy" reached
     * 08:25. A convert's input times are data, not a clock: the late record joins the open file
     * of its partition, with one writer for every directory and with a writer of its own.
     */
    @Test
    void aLateRecordJoinsItsPartitionsOpenFileAlsoInAWriterOfItsOwn() throws Exception {
        Instant eight = Instant.parse("2024-11-25T08:00:00Z");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(WorkerHarness.change(1, eight, "busy"));
        out.write('\n');
        out.write(WorkerHarness.change(2, eight, "rare"));
        out.write('\n');
        for (int i = 3; i < 1_500; i++) {
            out.write(WorkerHarness.change(i, eight.plusSeconds(i), "busy"));
            out.write('\n');
            if (i == 1_200) {
                out.write(WorkerHarness.change(i, eight.plusSeconds(299), "rare"));
                out.write('\n');
            }
        }
        Path one = dir.resolve("late-one");
        Path two = dir.resolve("late-two");
        convert(one, 1, out.toByteArray(), SMALL_BATCHES);
        convert(two, 2, out.toByteArray(), SMALL_BATCHES);

        Map<String, List<String>> rowsByObject = rowsByObject(one);
        assertThat(rowsByObject.keySet()).filteredOn(f -> f.startsWith("table=rare/")).hasSize(1);
        assertThat(rowsByObject.values().stream().mapToInt(List::size).sum()).isEqualTo(1_500);
        assertThat(rowsByObject(two)).isEqualTo(rowsByObject);
    }

    private static void convert(Path lake, int threads, byte[] input, int batchBytes) throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(),
                Map.of("lake.uri", lake.toString(), "buffer.maxAgeSeconds", "300", "buffer.maxRecords", "40"));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        try (LocalDirectoryStore store = new LocalDirectoryStore(lake)) {
            PipelineContext ctx = Pipelines.context(cfg, Pipelines.convertCommitter(cfg, store, "local"), spool,
                    RowEncoders.envelopeOnly(), new PipelineStats(), true);
            LineBatchReader lines = new LineBatchReader(new ByteArrayInputStream(input), batchBytes);
            new FileConverter(ctx, threads, "local", T0.toEpochMilli() * 1000).convert(() -> {
                LineBatchReader.Batch b = lines.next();
                return b == null ? null : RecordBatch.of(0, b);
            });
        }
    }

    /** Every Parquet object (relative path) with its rows' sequence numbers, as DuckDB reads them. */
    private static Map<String, List<String>> rowsByObject(Path lake) {
        try (DuckDbLake duck = DuckDbLake.open()) {
            String root = lake.toAbsolutePath() + "/";
            return duck.query("SELECT filename, sequence_number FROM read_parquet("
                            + DuckDbLake.literal(root + "**/*.parquet") + ", filename = true) "
                            + "ORDER BY filename, CAST(sequence_number AS BIGINT)").stream()
                    .collect(Collectors.groupingBy(r -> r.get("filename").toString().substring(root.length()),
                            TreeMap::new, Collectors.mapping(r -> r.get("sequence_number").toString(),
                                    Collectors.toList())));
        }
    }

    private static List<String> relativeFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
