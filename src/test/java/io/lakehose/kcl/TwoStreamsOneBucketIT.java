package io.lakehose.kcl;

import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.StreamLake;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcessTestBase;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;

import static io.lakehose.testing.ProcessAssertions.assertExactlyOnce;
import static io.lakehose.testing.ProcessAssertions.awaitCheckpoints;
import static io.lakehose.testing.ProcessAssertions.awaitLeases;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One bucket, many streams (docs/design.md, "Lake layout", "Object names", "Recovery"): a company
 * runs one lakehose per DynamoDB table into one lake prefix and one error prefix. Two streams with
 * the same shard ids, each with its own worker and lease table, write into the same {@code lake.uri}
 * and {@code lake.errorPrefix}; each worker is killed with SIGKILL at random moments and started
 * again, so that every recovery lists a bucket full of the other stream's objects under the same
 * shard ids.
 *
 * <p>Afterwards: every good record of each stream exactly once, in its own table's folders and
 * in objects named by its own stream; every bad record of each stream exactly once in its own
 * table's error output; both lease tables checkpointed at the last records; and the shipped jar's
 * {@code audit} clean for each stream. About 2 minutes on 2 cores.
 */
class TwoStreamsOneBucketIT extends WorkerProcessTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(TwoStreamsOneBucketIT.class);
    private static final String LAKE = "onelake";
    private static final String ERRORS = "onelake-errors";
    private static final int RECORDS = 2_000;
    private static final int BAD_EVERY = 200;
    private static final IntPredicate BAD = i -> i % BAD_EVERY == BAD_EVERY / 2;
    private static final long SEED = 20261207L;

    /** One stream of the test: its harness (stream, lease table), its DynamoDB table, its config and producer. */
    private final class Source {
        final WorkerHarness h;
        final String table;
        final Path yaml;
        final ChangeProducer producer;
        WorkerProcess worker;
        int generation;

        Source(String stream, String table) {
            this.h = new WorkerHarness(aws.stack(), stream, 2);
            this.table = table;
            Map<String, String> config = new LinkedHashMap<>();
            config.put("lake.uri", "s3://" + aws.s3().bucket() + "/" + LAKE);
            config.put("lake.errorPrefix", ERRORS);
            config.put("lake.table", table); // where a record with no readable table name goes
            config.put("buffer.maxRecords", "200");
            config.put("buffer.maxAgeSeconds", "2");
            config.put("kinesis.failoverTimeMillis", "2000");
            this.yaml = h.writeConfig(tmp.resolve(stream + ".yaml"), config);
            // 50 records a second: about 40 s, so that records keep coming through the kill rounds.
            this.producer = workers.closeAfter(new ChangeProducer(h, RECORDS, 20, Duration.ofMillis(400),
                    ChangeProducer.changesWithBad(BAD, table)));
        }

        WorkerProcess start() {
            worker = workers.start(JAR, yaml, tmp, h.stream() + "-" + generation++);
            return worker;
        }

        void awaitBothLeases() {
            awaitLeases(worker, 2, Duration.ofSeconds(60));
        }

        /** "shard/sequence" of the good and of the bad records put. */
        Set<String> ids(boolean wantBad) {
            return producer.ids(i -> BAD.test(i) == wantBad);
        }
    }

    @Test
    void twoStreamsWithTheSameShardIdsInOneBucketKeepEveryRecordOnceAndEveryBadOneInItsOwnTable() throws Exception {
        long started = System.nanoTime();
        Source orders = new Source("twoorders", "Orders");
        Source payments = new Source("twopayments", "Payments.v2");
        List<Source> sources = List.of(orders, payments);
        sources.forEach(s -> s.producer.start());

        // Kill rounds: each worker dies at a random moment after it took both its leases.
        Random random = new Random(SEED);
        List<String> kills = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (Source s : sources) {
                s.start();
            }
            for (Source s : sources) {
                s.awaitBothLeases();
            }
            for (Source s : sources) {
                long delay = 500 + random.nextInt(3_000);
                Thread.sleep(delay);
                int spooled = s.worker.spoolFiles().size();
                s.worker.sigkill();
                kills.add(s.h.stream() + " round " + round + ": " + delay + " ms after its leases, " + spooled
                        + " spool files, " + s.producer.count() + " records put");
            }
        }
        kills.forEach(k -> LOG.info("two streams: killed {}", k));

        for (Source s : sources) {
            assertThat(s.producer.awaitDone(Duration.ofSeconds(120))).as("producer of " + s.h.stream()).isTrue();
            s.start();
        }
        for (Source s : sources) {
            awaitCheckpoints(s.h, WorkerHarness.lastSequenceByShard(s.producer.all()), s.worker, Duration.ofSeconds(120));
        }
        for (Source s : sources) {
            s.worker.sigterm();
        }
        for (Source s : sources) {
            assertThat(s.worker.waitFor(Duration.ofSeconds(60))).as("exit code of " + s.worker).isZero();
        }

        Path dir = tmp.resolve("downloaded");
        download(dir);
        Map<String, List<String>> rowsByStream = rowsByStream(dir);
        Map<String, List<String>> errorsByStream = new HashMap<>();
        for (Source s : sources) {
            Set<String> good = s.ids(false);
            Set<String> bad = s.ids(true);
            assertThat(bad).hasSize(RECORDS / BAD_EVERY);
            String stream = s.h.stream();
            assertExactlyOnce(stream + " rows", rowsByStream.getOrDefault(stream, List.of()), good);
            List<String> errors = errorIds(dir.resolve(ERRORS).resolve("table=" + s.table), stream);
            errorsByStream.put(stream, errors);
            assertExactlyOnce(stream + " error lines in table=" + s.table, errors, bad);
            assertThat(s.h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(s.producer.all()));
            assertThat(WorkerProcess.assertAuditClean(JAR, s.yaml, tmp)).contains("0 overlaps, 0 gaps");
        }
        // Rows of a stream only in its own table's folders: the table is in the path.
        assertThat(rowFolders(dir)).containsOnly(Map.entry("twoorders", "Orders"), Map.entry("twopayments", "Payments.v2"));
        LOG.info("two streams: {} rows of {}, {} of {}; error lines {}; {} kills; {} s", rowsByStream.get("twoorders").size(),
                "twoorders", rowsByStream.get("twopayments").size(), "twopayments",
                errorsByStream.values().stream().mapToInt(List::size).sum(), kills.size(),
                (System.nanoTime() - started) / 1_000_000_000L);
    }

    private void download(Path dir) throws IOException {
        for (String prefix : List.of(LAKE + "/", ERRORS + "/")) {
            for (S3Object o : aws.s3().client().listObjectsV2Paginator(b -> b.bucket(aws.s3().bucket()).prefix(prefix))
                    .contents()) {
                Path target = dir.resolve(o.key());
                Files.createDirectories(target.getParent());
                aws.s3().client().getObject(b -> b.bucket(aws.s3().bucket()).key(o.key()), target);
            }
        }
    }

    /** Stream name (from the object name {@code <stream>~<shard>~...}) to its rows' "shard/sequence". */
    private static Map<String, List<String>> rowsByStream(Path dir) {
        try (DuckDbLake db = DuckDbLake.open()) {
            return db.query("SELECT filename AS f, shard_id || '/' || sequence_number AS r FROM read_parquet("
                            + DuckDbLake.literal(dir.resolve(LAKE).toAbsolutePath() + "/**/*.parquet") + ", filename = true)")
                    .stream().collect(Collectors.groupingBy(m -> streamOf((String) m.get("f")),
                            Collectors.mapping(m -> (String) m.get("r"), Collectors.toList())));
        }
    }

    /** Distinct (stream, table folder) pairs of the data objects. */
    private static Set<Map.Entry<String, String>> rowFolders(Path dir) throws IOException {
        try (var files = Files.walk(dir.resolve(LAKE))) {
            return files.filter(f -> f.toString().endsWith(".parquet")).map(f -> {
                String rel = dir.resolve(LAKE).relativize(f).toString();
                String table = rel.substring("table=".length(), rel.indexOf('/'));
                return Map.entry(streamOf(f.toString()), table);
            }).collect(Collectors.toSet());
        }
    }

    private static String streamOf(String file) {
        String name = Path.of(file).getFileName().toString();
        return name.substring(0, name.indexOf('~'));
    }

    /** "shard/sequence" of every error line in the objects of {@code stream} under {@code tableDir}. */
    private static List<String> errorIds(Path tableDir, String stream) throws IOException {
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(tableDir)) {
            return ids;
        }
        for (Path f : DuckDbLake.files(tableDir, ".jsonl")) {
            if (!f.getFileName().toString().startsWith(stream + "~")) {
                continue;
            }
            ids.addAll(StreamLake.errorIds(StreamLake.errorLines(Files.readString(f, StandardCharsets.UTF_8))));
        }
        return ids;
    }
}
