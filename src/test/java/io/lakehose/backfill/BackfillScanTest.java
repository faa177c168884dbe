package io.lakehose.backfill;

import io.lakehose.testing.ForwardingStore;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.DynamoDbLocalExtension;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.TestTables;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** `backfill` by parallel Scan against DynamoDB Local, into a local-directory lake read back with DuckDB. */
class BackfillScanTest {

    @RegisterExtension
    static final DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();
    /** Only for the dummy credentials it installs for in-process clients. */
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path dir;

    private Path config(Path lake, String... extra) throws Exception {
        StringBuilder yaml = new StringBuilder("lake:\n  uri: \"" + lake + "\"\n"
                + "buffer:\n  maxBytes: 64KiB\n"
                + "http:\n  port: 0\n"
                + "backfill:\n  region: us-east-1\n  endpoint: \"" + ddb.endpoint() + "\"\n");
        for (String e : extra) {
            yaml.append(e).append('\n');
        }
        return Files.writeString(dir.resolve("lakehose-" + System.nanoTime() + ".yaml"), yaml);
    }

    /** Exit code, a newline, then standard output. */
    private static String run(String... args) {
        CommandRun r = CommandRun.of(args);
        return r.exit + "\n" + r.out;
    }

    @Test
    void everyItemBecomesOneSnapshotRowWithTheLakeSchema() throws Exception {
        TestTables.create(ddb.client(), "orders", false);
        TestTables.load(ddb.client(), "orders", 0, 3000, TestTables::item);
        Path lake = dir.resolve("lake");
        Path cfg = config(lake);

        String out = run("backfill", "--config", cfg.toString(), "--table", "orders", "--segments", "4",
                "--read-rate", "100000", "--progress-seconds", "1");

        assertThat(out).startsWith("0\n").contains("backfill orders done: 3,000 items");
        try (DuckDbLake db = DuckDbLake.open()) {
            String from = DuckDbLake.lake(lake.resolve("table=orders"));
            Map<String, Object> agg = db.query("SELECT count(*) AS rows, count(DISTINCT event_id) AS ids, "
                    + "count(DISTINCT keys) AS keys, count(DISTINCT event_time) AS times, "
                    + "min(event_name) AS first_name, max(event_name) AS last_name, count(DISTINCT shard_id) AS shards "
                    + "FROM " + from).get(0);
            assertThat(agg).containsEntry("rows", 3000L).containsEntry("ids", 3000L).containsEntry("keys", 3000L)
                    .containsEntry("times", 1L).containsEntry("first_name", "SNAPSHOT")
                    .containsEntry("last_name", "SNAPSHOT").containsEntry("shards", 4L);
            List<String> ids = db.query("SELECT keys ->> 'id' AS id FROM " + from + " ORDER BY 1").stream()
                    .map(r -> (String) r.get("id")).toList();
            assertThat(ids).containsExactlyInAnyOrderElementsOf(
                    LongStream.range(0, 3000).mapToObj(n -> "item-" + n).toList());
            Map<String, Object> one = db.query("SELECT keys, new_image ->> 'name' AS name, "
                    + "new_image, new_image ->> 'blob' AS blob, "
                    + "CAST(new_image -> 'tags' AS VARCHAR) AS tags, CAST(new_image -> 'address' AS VARCHAR) AS address, "
                    + "CAST(new_image -> 'nothing' AS VARCHAR) AS nothing, old_image, user_identity "
                    + "FROM " + from + " WHERE keys ->> 'id' = 'item-7'").get(0);
            assertThat(one.get("keys")).isEqualTo("{\"id\":\"item-7\"}");
            assertThat(one.get("name")).isEqualTo("name \"7\" é xxxxxxx");
            assertThat((String) one.get("new_image")).as("every digit of N kept")
                    .contains("\"price\":12345678901234567890.1234567897,");
            assertThat(one.get("blob")).isEqualTo("AQIH");
            assertThat(one.get("tags")).isEqualTo("[\"a\",\"b1\"]");
            assertThat(one.get("nothing")).isEqualTo("null");
            assertThat(one.get("old_image")).isNull();
            assertThat(one.get("user_identity")).isNull();
        }
        List<Path> files = DuckDbLake.parquetFiles(lake);
        assertThat(files.size()).as("at least one file per segment").isGreaterThanOrEqualTo(4);
        assertThat(files).allMatch(f -> f.getFileName().toString().matches("snapshot-\\d{8}T\\d{9}Z-s000[0-3]-\\d{6}\\.parquet"));
        assertThat(Files.readString(lake.resolve("_lakehose/backfill/orders.json"))).contains("\"done\" : true");

        String again = run("backfill", "--config", cfg.toString(), "--table", "orders", "--segments", "4");
        assertThat(again).startsWith("0\n").contains("already complete");
        assertThat(DuckDbLake.parquetFiles(lake)).hasSameSizeAs(files);
    }

    @Test
    void aFailedBackfillResumesWithoutLosingOrDuplicatingRows() throws Exception {
        TestTables.create(ddb.client(), "resume", false);
        TestTables.load(ddb.client(), "resume", 0, 4000, BackfillScanTest::incompressibleItem);
        // Two failure windows: a data file that never got stored, and a data file stored whose
        // progress was never saved (the next run must replace that file, not add one).
        for (String window : List.of("data", "progress")) {
            Path lake = dir.resolve("lake-" + window);
            LakehoseConfig cfg = ConfigLoader.load(config(lake), Map.of(), Map.of());
            Path spool = Files.createDirectories(dir.resolve("spool-" + window));
            AtomicInteger puts = new AtomicInteger();
            ObjectStore failing = new FailingStore(new LocalDirectoryStore(lake),
                    key -> key.endsWith(window.equals("data") ? ".parquet" : ".json") && puts.incrementAndGet() == 6);
            Backfill.Options options = new Backfill.Options("resume", 3, Optional.of("100000"), false, 3,
                    Optional.empty(), false, Duration.ofSeconds(30), List.of());
            assertThatThrownBy(() -> new Backfill(cfg, failing, spool, new SimpleMeterRegistry(), quiet()).run(options))
                    .hasMessageContaining("injected");

            Backfill.Result r = new Backfill(cfg, new LocalDirectoryStore(lake), spool, new SimpleMeterRegistry(),
                    quiet()).run(options);

            assertThat(r.resumed()).isTrue();
            assertThat(DuckDbLake.parquetFiles(lake).size()).as("several files per segment").isGreaterThan(6);
            assertThat(r.items()).isEqualTo(4000);
            try (DuckDbLake db = DuckDbLake.open()) {
                Map<String, Object> agg = db.query("SELECT count(*) AS rows, count(DISTINCT keys) AS keys FROM "
                        + DuckDbLake.lake(lake)).get(0);
                assertThat(agg).as(window).containsEntry("rows", 4000L).containsEntry("keys", 4000L);
            }
        }
    }

    @Test
    void readRateLimitsTheScan() throws Exception {
        TestTables.create(ddb.client(), "slow", false);
        TestTables.load(ddb.client(), "slow", 0, 6000, n -> {
            var item = new HashMap<>(TestTables.item(n));
            item.put("text", AttributeValue.fromS("t".repeat(2000)));
            return item;
        });
        LakehoseConfig cfg = ConfigLoader.load(config(dir.resolve("lake-slow")), Map.of(), Map.of());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        double rate = 150;
        Backfill.Options options = new Backfill.Options("slow", 2, Optional.of(Double.toString(rate)), false, 2,
                Optional.empty(), false, Duration.ofSeconds(30), List.of());
        long start = System.nanoTime();
        new Backfill(cfg, new LocalDirectoryStore(dir.resolve("lake-slow")), Files.createDirectories(dir.resolve("sp")),
                registry, quiet()).run(options);
        double seconds = (System.nanoTime() - start) / 1e9;
        double units = registry.get("lakehose_backfill_read_capacity_units").counter().count();
        // The limiter lets the first page through at once and makes every later one wait for its
        // units: the scan cannot be faster than (units - one page) / rate.
        double largestPage = 128; // 1 MB page, eventually consistent
        assertThat(units).isGreaterThan(largestPage);
        // Guava's limiter may also hand out up to one second of stored permits.
        assertThat(seconds).isGreaterThanOrEqualTo((units - largestPage - rate) / rate)
                .isGreaterThan(3.0);
    }

    @Test
    void contradictingArgumentsAndBadRatesAreOneLineErrors() throws Exception {
        TestTables.create(ddb.client(), "args", false);
        TestTables.load(ddb.client(), "args", 0, 500, TestTables::item);
        Path lake = dir.resolve("lake-args");
        Path cfg = config(lake);

        assertThat(run("backfill", "--config", cfg.toString(), "--table", "args", "--read-rate", "fast"))
                .startsWith("2\n");
        assertThat(run("backfill", "--config", cfg.toString(), "--table", "no-such-table")).startsWith("1\n");
        assertThat(run("backfill", "--config", cfg.toString(), "--table", "args", "--read-rate", "50%"))
                .as("on-demand table has no capacity to take a share of").startsWith("2\n");

        // An unfinished 4-segment backfill cannot be resumed with 2 segments.
        LakehoseConfig loaded = ConfigLoader.load(cfg, Map.of(), Map.of());
        ObjectStore failing = new FailingStore(new LocalDirectoryStore(lake), key -> key.endsWith(".parquet"));
        assertThatThrownBy(() -> new Backfill(loaded, failing, Files.createDirectories(dir.resolve("sp2")),
                new SimpleMeterRegistry(), quiet()).run(new Backfill.Options("args", 4, Optional.of("1000"), false, 1,
                Optional.empty(), false, Duration.ofSeconds(30), List.of())));
        assertThatThrownBy(() -> new Backfill(loaded, new LocalDirectoryStore(lake), dir, new SimpleMeterRegistry(),
                quiet()).run(new Backfill.Options("args", 2, Optional.of("1000"), false, 1, Optional.empty(), false,
                Duration.ofSeconds(30), List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--segments 4");
    }

    /** An item with 1.5 KB of random text, so 64 KiB Parquet files fill after a few pages. */
    static Map<String, AttributeValue> incompressibleItem(long n) {
        var item = new HashMap<>(TestTables.item(n));
        Random random = new Random(n);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            text.append((char) ('a' + random.nextInt(26)));
        }
        item.put("text", AttributeValue.fromS(text.toString()));
        return item;
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Fails the puts {@code fails} selects, after doing them when the key is a progress file (stored, then lost). */
    static final class FailingStore extends ForwardingStore {
        private final Predicate<String> fails;

        FailingStore(ObjectStore delegate, Predicate<String> fails) {
            super(delegate);
            this.fails = fails;
        }

        @Override
        public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
            if (fails.test(key)) {
                return CompletableFuture.failedFuture(new IllegalStateException("injected failure storing " + key));
            }
            return delegate.put(file, key, contentType);
        }
    }
}
