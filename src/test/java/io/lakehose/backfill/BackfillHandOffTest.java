package io.lakehose.backfill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.kcl.KinesisWorker;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.DynamoStreamsBridge;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.TestTables;
import io.lakehose.testing.WorkerHarness;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-off of README's "Backfill" section, end to end on the local stack: a table with
 * items from before its stream existed; CDC started first (stream enabled, worker at
 * TRIM_HORIZON), then a backfill while the table keeps changing. The README's current-state
 * query (config/queries/current-state.duckdb.sql), run by DuckDB on the lake, must equal a
 * final Scan of the table.
 */
class BackfillHandOffTest {

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @TempDir
    Path tmp;

    static Map<String, AttributeValue> item(long id, long version) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS("item-" + id));
        item.put("version", AttributeValue.fromN(Long.toString(version)));
        item.put("name", AttributeValue.fromS("name-" + id + "-v" + version));
        return item;
    }

    @Test
    void currentStateFromSnapshotRowsAndLaterChangesEqualsAFinalScan() throws Exception {
        DynamoDbAsyncClient ddb = aws.dynamoDb().client();
        TestTables.create(ddb, "orders", true);
        // Items from before the Kinesis destination was enabled: only a backfill has them (the bridge starts at LATEST).
        TestTables.load(ddb, "orders", 0, 2000, id -> item(id, 0));
        String streamArn = ddb.describeTable(b -> b.tableName("orders")).join().table().latestStreamArn();
        WorkerHarness h = new WorkerHarness(aws.stack(), "orders-cdc", 2);
        LakehoseConfig cfg = h.loadConfig(Map.of("backfill.endpoint", aws.dynamoDb().endpoint().toString(),
                "backfill.region", "us-east-1"));
        PipelineStats stats = new PipelineStats();
        try (DynamoStreamsBridge bridge = new DynamoStreamsBridge(aws.dynamoDb().newStreamsClient(),
                aws.kinesis().newSyncClient(), streamArn, "orders", "orders-cdc", "us-east-1").startAtLatest();
             S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()))) {
            // 1. CDC first.
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool")),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);

            // 2. The backfill, slowed by its read rate, while the table changes under it.
            Mutator mutator = new Mutator(ddb);
            CompletableFuture<Void> changes = CompletableFuture.runAsync(() -> mutator.run(Duration.ofSeconds(5)));
            Backfill.Result backfilled = new Backfill(cfg, store, Files.createDirectories(tmp.resolve("bf")),
                    new SimpleMeterRegistry(), BackfillScanTest.quiet()).run(new Backfill.Options("orders", 4,
                    Optional.of("8"), false, 4, Optional.empty(), false, Duration.ofSeconds(60), List.of(), 50));
            changes.get(60, TimeUnit.SECONDS);
            assertThat(backfilled.items()).isBetween(1500L, 3000L);
            assertThat(mutator.operations).as("changes while the backfill ran").isGreaterThan(100);

            // 3. Every change through the bridge and the worker into the lake.
            Await.until(() -> "every change through the bridge (" + bridge.forwarded() + ") and into the lake ("
                            + stats.rows.sum() + ") of " + mutator.operations, Duration.ofSeconds(90),
                    Duration.ofMillis(200),
                    () -> bridge.forwarded() >= mutator.operations && stats.rows.sum() >= mutator.operations);
            assertThat(stats.rows.sum()).as("changes in the lake").isEqualTo(mutator.operations);
            worker.shutdown();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
        }

        Path lake = tmp.resolve("lake");
        h.download(lake);
        String query = Files.readString(Path.of("config/queries/current-state.duckdb.sql"));
        assertThat(Files.readString(Path.of("README.md"))).as("README shows the query this test runs").contains(query);
        String sql = query
                .replace("'lake/table=orders/", "'" + lake.resolve("orders-cdc/table=orders") + "/");
        Map<String, String> fromLake = new TreeMap<>();
        Map<String, Long> rowsByEvent = new TreeMap<>();
        try (DuckDbLake db = DuckDbLake.open()) {
            for (Map<String, Object> r : db.query(sql)) {
                fromLake.put((String) r.get("id"), (String) r.get("new_image"));
            }
            db.query("SELECT event_name, count(*) AS n FROM " + DuckDbLake.lake(lake.resolve("orders-cdc/table=orders"))
                    + " GROUP BY 1").forEach(r -> rowsByEvent.put((String) r.get("event_name"), (Long) r.get("n")));
        }
        assertThat(rowsByEvent).containsKeys("SNAPSHOT", "INSERT", "MODIFY", "REMOVE");

        Map<String, String> fromTable = new TreeMap<>();
        for (Map<String, AttributeValue> i : TestTables.scanAll(aws.dynamoDb().client(), "orders")) {
            fromTable.put(i.get("id").s(), "{\"id\":\"" + i.get("id").s() + "\",\"name\":\"" + i.get("name").s()
                    + "\",\"version\":" + i.get("version").n() + "}");
        }
        Set<String> missing = new TreeSet<>(fromTable.keySet());
        missing.removeAll(fromLake.keySet());
        Set<String> extra = new TreeSet<>(fromLake.keySet());
        extra.removeAll(fromTable.keySet());
        assertThat(missing).as("items of the table missing from the lake's current state").isEmpty();
        String history = "";
        if (!extra.isEmpty()) try (DuckDbLake db = DuckDbLake.open()) {
            history = db.query("SELECT keys, event_name, strftime(event_time, '%H:%M:%S.%f') AS t, sequence_number, "
                    + "shard_id, strftime(arrival_time, '%H:%M:%S.%f') AS arrival FROM "
                    + DuckDbLake.lake(lake.resolve("orders-cdc/table=orders"))
                    + " WHERE keys ->> 'id' IN (" + String.join(",", extra.stream().map(DuckDbLake::literal).toList())
                    + ") ORDER BY 1, 3")
                    .toString();
        }
        assertThat(extra).as("items in the lake's current state the table no longer has; their rows: " + history)
                .isEmpty();
        Map<String, String> normalized = new TreeMap<>();
        fromLake.forEach((id, image) -> normalized.put(id, sortedJson(image)));
        assertThat(normalized).isEqualTo(fromTable);
    }

    /** The image's attributes in name order, as the expected strings are written. */
    private static String sortedJson(String json) {
        try {
            var mapper = new ObjectMapper()
                    .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
            return mapper.writeValueAsString(mapper.readValue(json, TreeMap.class));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Puts, updates and deletes items at random; each operation makes exactly one stream record. */
    static final class Mutator {
        /**
         * Pause after each change: the test is that the table changes while the backfill scans it,
         * so the changes are spread over the scan instead of made all at once.
         */
        private static final long PACE_MILLIS = 5;
        final DynamoDbAsyncClient ddb;
        final Random random = new Random(42);
        final List<Long> present = new ArrayList<>();
        final Map<Long, Long> versions = new HashMap<>();
        long nextId = 2000;
        volatile long operations;

        Mutator(DynamoDbAsyncClient ddb) {
            this.ddb = ddb;
            for (long i = 0; i < 2000; i++) {
                present.add(i);
                versions.put(i, 0L);
            }
        }

        /** Changes items for {@code duration}, and on until 150 changes were made (a loaded machine is slower). */
        void run(Duration duration) {
            long end = System.nanoTime() + duration.toNanos();
            long cap = end + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < end || (operations < 150 && System.nanoTime() < cap)) {
                int op = random.nextInt(10);
                if (op < 5) {
                    long id = present.get(random.nextInt(present.size()));
                    long v = versions.merge(id, 1L, Long::sum);
                    ddb.putItem(b -> b.tableName("orders").item(item(id, v))).join();
                } else if (op < 7) {
                    long id = present.remove(random.nextInt(present.size()));
                    versions.remove(id);
                    ddb.deleteItem(b -> b.tableName("orders").key(Map.of("id", AttributeValue.fromS("item-" + id))))
                            .join();
                } else {
                    long id = nextId++;
                    present.add(id);
                    versions.put(id, 0L);
                    ddb.putItem(b -> b.tableName("orders").item(item(id, 0))).join();
                }
                operations++;
                try {
                    Thread.sleep(PACE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
