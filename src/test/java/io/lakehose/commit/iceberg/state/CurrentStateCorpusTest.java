package io.lakehose.commit.iceberg.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.testing.Await;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.IcebergLake;
import io.lakehose.testing.DynamoDbLocalExtension;
import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.TableWorker;
import io.lakehose.testing.TestTables;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The current-state table against a reference computed independently (docs/design.md, "Tables",
 * current-state table and "The merge rule"). A corpus of many commits goes through the committer
 * the service builds from its configuration ({@link io.lakehose.pipeline.Pipelines#committer}) into a JDBC catalog on
 * SQLite with local files: one key's changes out of order across commits, the same change
 * delivered twice (a Kinesis re-delivery: same event, new sequence number), deletes then
 * re-inserts in both arrival orders, TTL deletes, ties on event time within a shard (sequence
 * numbers crossing a power of ten) and across a reshard's parents and child, a backfill (the
 * {@code backfill} command on DynamoDB Local, through its own committer) meeting live changes
 * before, at and after its snapshot time, and a replay of an already committed range by a new
 * worker that builds its index from the tables.
 *
 * <p>The reference is SQL in DuckDB over the change log's data files (the files of its current
 * snapshot, read as Parquet, not through lakehose): the newest change per key by the documented
 * rule, REMOVEs left out unless tombstones are kept. The state table is read with Iceberg's
 * generic reader (position deletes applied) and must equal it row for row (key, event id, event,
 * shard, sequence, image, user identity). A few keys are also checked by hand, so that a reference
 * wrong in the same way as the code would not pass. Event times span under an hour: a change older
 * than a REMOVE by more than an hour may bring its item back (the documented tombstone window).
 */
class CurrentStateCorpusTest {

    @RegisterExtension
    static final DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();

    /** The dummy identity for the clients the backfill builds from the default chain (no S3 is needed). */
    @BeforeAll
    static void emulatorCredentials() {
        EmulatorAccess.installAsDefaultCredentials();
    }

    private static final String S1 = "shardId-000000000001";
    private static final String S2 = "shardId-000000000002";
    /** A child of S1 and S2 after a reshard: Kinesis numbers it above its parents. */
    private static final String S3 = "shardId-000000000003";
    /** The shard of {@code convert}'s records (docs/design.md, "Interfaces"). */
    private static final String LOCAL = "local";
    private static final String TTL_PRINCIPAL = "dynamodb.amazonaws.com";
    private static final long SECOND = 1_000_000L;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void theStateTableIsTheNewestChangePerKeyByEventTimeWithoutRemoves() throws Exception {
        Corpus corpus = run("orders", Optional.empty(), false);
        Map<String, List<Object>> state = corpus.state;
        // By hand: what the rule says for the scenario keys.
        assertThat(state.get(key(40))).as("out of order: the newest event time, committed first").contains(corpus.id("late40"));
        assertThat(state.get(key(41))).as("a re-delivered older change does not win").contains(corpus.id("y41"));
        assertThat(state).as("deleted then inserted").containsKey(key(42));
        assertThat(state).as("re-insert arrived before the older REMOVE").containsKey(key(43));
        assertThat(state).as("an older insert after the REMOVE (a new worker: tombstone restored)").doesNotContainKey(key(44));
        assertThat(state).as("TTL delete").doesNotContainKey(key(45));
        assertThat(state.get(key(49))).as("same time and shard: sequence 1000+ beats 990").contains(corpus.id("late49"));
        assertThat(state.get(key(46))).as("same time in parents and child: the child").contains(corpus.id("child46"));
        assertThat(state.get(key(3))).as("a change older than the snapshot loses to it").contains("SNAPSHOT");
        assertThat(state.get(key(12))).as("a change at the snapshot's time beats it").contains(corpus.id("tie12"));
        assertThat(state.get(key(11))).as("convert's change at the snapshot's time beats it").contains(corpus.id("local11"));
        assertThat(state.get(key(17))).as("a change after the snapshot").contains(corpus.id("after17"));
    }

    @Test
    void withAnOrderAttributeItDecidesFirstAndTombstonesStayAsRows() throws Exception {
        Corpus corpus = run("versioned", Optional.of("version"), true);
        Map<String, List<Object>> state = corpus.state;
        assertThat(state.get(key(47))).as("version 10 beats a later version 9: numbers as numbers").contains(corpus.id("v10"));
        assertThat(state.get(key(48))).as("a string beats any number").contains(corpus.id("vString"));
        assertThat(state.get(key(45))).as("a TTL delete kept as a tombstone").contains("REMOVE", TTL_PRINCIPAL);
        assertThat(state.get(key(44))).as("the tombstone row stays").contains("REMOVE");
    }

    private static String key(int n) {
        return "{\"id\":\"item-" + n + "\"}";
    }

    /** The corpus written, the reference compared; returns the state table by key. */
    private Corpus run(String table, Optional<String> order, boolean keepTombstones) throws Exception {
        Path tables = Files.createDirectories(dir.resolve("tables"));
        Map<String, String> config = config(table, order, keepTombstones);
        Corpus c = new Corpus(table, new Random(table.hashCode()));
        long now = System.currentTimeMillis() * 1000;
        long before = now - 30 * 60 * SECOND; // phase A: 30 to 20 minutes before the backfill

        TestTables.create(ddb.client(), table, false);
        TestTables.load(ddb.client(), table, 0, 20, n -> item(n, order.isPresent() ? null : 5L));
        TestTables.load(ddb.client(), table, 60, 70, n -> item(n, (long) (n % 7)));

        TableWorker w1 = worker("w1", config);
        // The first record of S1: sequence 990; the second change of item-49 at the same time gets four digits.
        c.put(w1, S1, 49, "MODIFY", before + 100 * SECOND, false, null, "early49");
        // Phase A: live changes before the backfill, four commits.
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 20; i++) {
                c.noise(w1, before, 10 * 60, i % 2 == 0 ? S1 : S2);
            }
            for (int k = 0; k < 10; k++) {
                c.put(w1, S1, k, "MODIFY", before + (round * 60L + k) * SECOND, false, 1L, null); // all older than the snapshot
            }
            if (round == 0) {
                c.put(w1, S2, 40, "INSERT", before + 300 * SECOND, false, null, "late40");
                c.put(w1, S1, 41, "INSERT", before + 100 * SECOND, false, null, "x41");
                c.put(w1, S1, 42, "INSERT", before + 100 * SECOND, false, null, null);
                c.put(w1, S1, 42, "REMOVE", before + 110 * SECOND, false, null, null);
                c.put(w1, S2, 43, "INSERT", before + 200 * SECOND, false, null, "reinsert43");
                c.put(w1, S2, 44, "REMOVE", before + 300 * SECOND, false, null, null);
                c.put(w1, S1, 45, "INSERT", before + 100 * SECOND, false, null, null);
                c.put(w1, S1, 47, "MODIFY", before + 100 * SECOND, false, 10L, "v10");
                c.put(w1, S1, 48, "MODIFY", before + 100 * SECOND, false, "a", "vString");
            } else if (round == 1) {
                c.put(w1, S1, 40, "MODIFY", before + 200 * SECOND, false, null, null); // older, arrives later
                c.put(w1, S2, 41, "MODIFY", before + 200 * SECOND, false, null, "y41");
                c.put(w1, S2, 42, "INSERT", before + 120 * SECOND, false, null, null);
                c.put(w1, S1, 43, "REMOVE", before + 150 * SECOND, false, null, null);
                c.put(w1, S1, 45, "REMOVE", before + 400 * SECOND, true, null, null); // TTL
                c.put(w1, S2, 47, "MODIFY", before + 500 * SECOND, false, 9L, null);
                c.put(w1, S2, 48, "MODIFY", before + 500 * SECOND, false, 1000L, null);
                c.put(w1, S1, 49, "MODIFY", before + 100 * SECOND, false, null, "late49");
            } else if (round == 2) {
                c.redeliver(w1, "x41", S1); // the same change again, a new sequence number, after the newer one
                c.put(w1, S2, 40, "MODIFY", before + 250 * SECOND, false, null, null);
            }
            w1.commit();
        }

        long snapshot = backfill(table, config);
        assertThat(snapshot).isGreaterThan(before + 11 * 60 * SECOND);

        // Phase B: live changes around the snapshot time, a reshard's child among the shards.
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 20; i++) {
                c.noise(w1, snapshot - 10 * 60 * SECOND, 20 * 60, List.of(S1, S2, S3).get(i % 3));
            }
            if (round == 0) {
                for (int k = 10; k < 15; k++) {
                    if (k != 11) {
                        c.put(w1, S2, k, "MODIFY", snapshot, false, null, k == 12 ? "tie12" : null);
                    }
                }
                // convert's shard (a Firehose archive), whose id ranks below a backfill unit's: the stream rule decides
                c.put(w1, LOCAL, 11, "MODIFY", snapshot, false, null, "local11");
                for (int k = 15; k < 20; k++) {
                    c.put(w1, S1, k, "MODIFY", snapshot + 60 * SECOND, false, 6L, k == 17 ? "after17" : null);
                }
                c.put(w1, S3, 46, "MODIFY", snapshot, false, null, "child46");
            } else if (round == 1) {
                c.put(w1, S1, 46, "MODIFY", snapshot, false, null, null);
                c.put(w1, S2, 46, "MODIFY", snapshot, false, null, null);
            }
            w1.commit();
        }
        w1.close();

        // A replay: a new worker re-reads S1 and S3 from their first records (all committed, skipped),
        // then new changes: an INSERT older than item-44's REMOVE (its tombstone comes back from the change log).
        TableWorker w2 = worker("w2", config);
        c.replay(w2, S1);
        c.replay(w2, S3);
        w2.commit();
        c.put(w2, S1, 44, "INSERT", before + 250 * SECOND, false, null, null);
        for (int i = 0; i < 10; i++) {
            c.noise(w2, snapshot - 10 * 60 * SECOND, 20 * 60, S1);
        }
        w2.commit();
        w2.close();

        try (JdbcCatalog catalog = (JdbcCatalog) CatalogUtil.buildIcebergCatalog("lakehose",
                LocalWarehouse.writerProperties(tables), null)) {
            Table changeLog = catalog.loadTable(TableIdentifier.of("cdc", table + "_changes"));
            Table state = catalog.loadTable(TableIdentifier.of("cdc", table));
            Await.until("the state table applied the change log's newest snapshot", Duration.ofSeconds(30),
                    Duration.ofMillis(100), () -> {
                        state.refresh();
                        changeLog.refresh();
                        return state.currentSnapshot().summary().get("lakehose.source-snapshot");
                    }, s -> Long.toString(changeLog.currentSnapshot().snapshotId()).equals(s));
            List<Path> files = IcebergLake.localDataFiles(changeLog);
            assertThat(files).isNotEmpty();
            try (DuckDbLake duck = DuckDbLake.open()) {
                assertThat(streamRows(duck, files)).as("the change log: each stream record once")
                        .containsExactlyInAnyOrderElementsOf(c.written);
                assertThat(((Number) duck.query("SELECT count(*) AS n FROM " + DuckDbLake.files(files)
                        + " WHERE event_name = 'SNAPSHOT'").get(0).get("n")).longValue()).isEqualTo(30);
                Map<String, List<Object>> expected = reference(duck, files, order, keepTombstones);
                c.state = read(state);
                assertThat(c.state).isEqualTo(expected);
                assertThat(c.state.values().stream().filter(r -> r.contains("REMOVE")).count())
                        .as("tombstone rows").matches(n -> keepTombstones == (n > 0));
            }
        }
        return c;
    }

    /** The configuration of {@code run}: tables in a local warehouse, the current-state table on. */
    private Map<String, String> config(String table, Optional<String> order, boolean keepTombstones) throws Exception {
        Map<String, String> cfg = TableWorker.localTables(dir.resolve("tables"), dir.resolve("lake"), 7);
        cfg.put("iceberg.currentState", "true");
        cfg.put("iceberg.keepTombstones", Boolean.toString(keepTombstones));
        order.ifPresent(a -> cfg.put("iceberg.orderAttributes." + table, a));
        cfg.put("backfill.region", "us-east-1");
        cfg.put("backfill.endpoint", ddb.endpoint().toString());
        return cfg;
    }

    private TableWorker worker(String name, Map<String, String> config) throws Exception {
        TableWorker w = new TableWorker(dir.resolve(name), config);
        open.add(w);
        return w;
    }

    /** The {@code backfill} command with the workers' configuration; returns its snapshot time (its rows' event_time). */
    private long backfill(String table, Map<String, String> config) throws Exception {
        Path cfg = dir.resolve("backfill.yaml");
        new ObjectMapper(new YAMLFactory()).writeValue(cfg.toFile(), nested(config));
        CommandRun run = CommandRun.of("backfill", "--config", cfg.toString(), "--table", table, "--segments", "2",
                "--read-rate", "100000");
        assertThat(run.exit).as(run.toString()).isZero();
        return new ObjectMapper().readTree(dir.resolve("lake/_lakehose/backfill/" + table + ".json").toFile())
                .get("snapshotMicros").asLong();
    }

    /** Key paths as the YAML file's sections; the free maps' keys (iceberg.catalog.*, ...) kept whole. */
    private static Map<String, Object> nested(Map<String, String> flat) {
        Map<String, Object> root = new TreeMap<>();
        flat.forEach((k, v) -> {
            String[] path = k.startsWith("iceberg.catalog.") || k.startsWith("iceberg.orderAttributes.")
                    ? k.split("\\.", 3) : k.split("\\.");
            Map<String, Object> at = root;
            for (int i = 0; i < path.length - 1; i++) {
                @SuppressWarnings("unchecked")
                Map<String, Object> next = (Map<String, Object>) at.computeIfAbsent(path[i], x -> new TreeMap<>());
                at = next;
            }
            at.put(path[path.length - 1], v);
        });
        return root;
    }

    /** key -> [event_id, event_name, shard_id, sequence_number, new_image, user_identity]; one row per key. */
    private static Map<String, List<Object>> read(Table state) throws Exception {
        Map<String, List<Object>> rows = new TreeMap<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(state).build()) {
            for (Record r : records) {
                List<Object> row = new ArrayList<>();
                for (String column : COLUMNS) {
                    row.add(r.getField(column));
                }
                assertThat(rows.put((String) r.getField("keys"), row)).as("one row per key").isNull();
            }
        }
        return rows;
    }

    private static final List<String> COLUMNS = List.of("event_id", "event_name", "shard_id", "sequence_number",
            "new_image", "user_identity");

    /** The change log's data files: its current snapshot's; it has no delete files. */

    private static List<String> streamRows(DuckDbLake duck, List<Path> files) {
        return duck.query("SELECT shard_id || '/' || sequence_number AS r FROM " + DuckDbLake.files(files)
                + " WHERE event_name <> 'SNAPSHOT'").stream().map(r -> (String) r.get("r")).toList();
    }

    /**
     * The newest change per key, by the rule of docs/design.md ("The merge rule") written here in SQL:
     * the order attribute (a REMOVE's from its old image; with it newer than without; any string newer
     * than any number; numbers by value), then event time, then a stream change over a SNAPSHOT row,
     * then the shard's number in {@code shardId-<n>} (-1 without one), the shard id, the sequence
     * number (as a number: by length, then digits) and the sub-sequence number.
     */
    private static Map<String, List<Object>> reference(DuckDbLake duck, List<Path> files, Optional<String> order,
                                                       boolean keepTombstones) {
        String path = "'$." + order.orElse("absent_attribute_x") + "'";
        String img = "CASE WHEN event_name = 'REMOVE' THEN old_image ELSE new_image END";
        String attr = order.isPresent() ? "json_extract(" + img + ", " + path + ")" : "NULL::JSON";
        String sql = "WITH c AS (SELECT *, " + attr + " AS ov FROM " + DuckDbLake.files(files) + "), "
                + "k AS (SELECT *, "
                + "  coalesce(json_type(ov), 'NULL') <> 'NULL' AS has_order, "
                + "  json_type(ov) = 'VARCHAR' AS order_is_string, "
                + "  CASE WHEN json_type(ov) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(json_extract_string(ov, '$') AS DECIMAL(38, 10)) END AS order_number, "
                + "  CASE WHEN json_type(ov) = 'VARCHAR' THEN json_extract_string(ov, '$') END AS order_string, "
                + "  CASE WHEN regexp_full_match(shard_id, 'shardId-[0-9]{1,18}') THEN CAST(substr(shard_id, 9) AS BIGINT) ELSE -1 END AS shard_number "
                + "  FROM c), "
                + "r AS (SELECT *, row_number() OVER (PARTITION BY keys ORDER BY has_order DESC, order_is_string DESC, "
                + "  order_number DESC NULLS LAST, order_string DESC NULLS LAST, epoch_us(event_time) DESC, "
                + "  (event_name <> 'SNAPSHOT') DESC, shard_number DESC, shard_id DESC, length(sequence_number) DESC, "
                + "  sequence_number DESC, sub_sequence_number DESC) AS newest FROM k) "
                + "SELECT keys, " + String.join(", ", COLUMNS) + " FROM r WHERE newest = 1"
                + (keepTombstones ? "" : " AND event_name <> 'REMOVE'");
        Map<String, List<Object>> rows = new TreeMap<>();
        for (Map<String, Object> r : duck.query(sql)) {
            List<Object> row = new ArrayList<>();
            for (String column : COLUMNS) {
                row.add(r.get(column));
            }
            rows.put((String) r.get("keys"), row);
        }
        return rows;
    }

    private static Map<String, AttributeValue> item(long n, Long version) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS("item-" + n));
        item.put("note", AttributeValue.fromS("backfilled " + n));
        if (version != null) {
            item.put("version", AttributeValue.fromN(Long.toString(version)));
        }
        return item;
    }

    /** The changes put so far, per shard in order, and what the change log must hold of them. */
    private static final class Corpus {
        final String table;
        final Random random;
        final Map<String, Long> nextSequence = new HashMap<>();
        final Map<String, List<SourceRecord>> sent = new HashMap<>();
        final Map<String, byte[]> named = new HashMap<>();
        final List<String> noise = new ArrayList<>();
        final Map<String, String> eventIds = new HashMap<>();
        final Set<String> written = new TreeSet<>();
        Map<String, List<Object>> state;
        int events;

        Corpus(String table, Random random) {
            this.table = table;
            this.random = random;
        }

        String id(String name) {
            return eventIds.get(name);
        }

        /** A random change of items 60..89 at a random time in [from, from + spanSeconds), on a 15 s grid (ties). */
        void noise(TableWorker w, long from, int spanSeconds, String shard) throws Exception {
            if (!noise.isEmpty() && random.nextInt(10) == 0) {
                redeliver(w, noise.get(random.nextInt(noise.size())), shard); // never a scenario's change
                return;
            }
            int kind = random.nextInt(10);
            String event = kind < 2 ? "REMOVE" : kind < 4 ? "INSERT" : "MODIFY";
            int v = random.nextInt(14);
            Object version = v == 0 ? null : v == 1 ? "s" + random.nextInt(3) : (Object) (long) (v * 3 % 13);
            String name = "n" + events;
            noise.add(name);
            put(w, shard, 60 + random.nextInt(30), event, from + 15L * random.nextInt(spanSeconds / 15) * SECOND,
                    event.equals("REMOVE") && random.nextBoolean(), version, name);
        }

        /** One DynamoDB change of item {@code item}, put to {@code shard}; {@code name} remembers its event id. */
        void put(TableWorker w, String shard, int item, String event, long micros, boolean ttl, Object version, String name)
                throws Exception {
            String eventId = table + "-e" + (++events);
            String image = "{\"id\":{\"S\":\"item-" + item + "\"},\"note\":{\"S\":\"" + eventId + "\"}"
                    + (version == null ? "" : version instanceof String s ? ",\"version\":{\"S\":\"" + s + "\"}"
                    : ",\"version\":{\"N\":\"" + version + "\"}") + "}";
            String json = "{\"eventID\":\"" + eventId + "\",\"eventName\":\"" + event + "\",\"tableName\":\"" + table + "\","
                    + "\"awsRegion\":\"us-east-1\","
                    + (ttl ? "\"userIdentity\":{\"type\":\"Service\",\"principalId\":\"" + TTL_PRINCIPAL + "\"}," : "")
                    + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + micros
                    + ",\"ApproximateCreationDateTimePrecision\":\"MICROSECOND\",\"Keys\":{\"id\":{\"S\":\"item-" + item + "\"}},"
                    + (event.equals("REMOVE") ? "\"OldImage\":" + image : "\"NewImage\":" + image)
                    + ",\"SizeBytes\":10},\"eventSource\":\"aws:dynamodb\"}";
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            if (name != null) {
                named.put(name, bytes);
                eventIds.put(name, eventId);
            }
            send(w, shard, bytes);
        }

        /** The change named {@code name} delivered again: the same bytes, a new sequence number. */
        void redeliver(TableWorker w, String name, String shard) throws Exception {
            send(w, shard, named.get(name));
        }

        /** Every record of {@code shard} so far again, with its own sequence number: a replay of what is committed. */
        void replay(TableWorker w, String shard) throws Exception {
            for (SourceRecord r : sent.getOrDefault(shard, List.of())) {
                w.shard(shard).accept(r);
            }
        }

        private void send(TableWorker w, String shard, byte[] bytes) throws Exception {
            // 990 and up: the sequence numbers of a shard cross from three digits to four
            long seq = nextSequence.merge(shard, 1L, Long::sum) + 989;
            SourceRecord r = SourceRecord.of(shard, SequenceNumber.of(seq), System.currentTimeMillis() * 1000, bytes);
            sent.computeIfAbsent(shard, s -> new ArrayList<>()).add(r);
            written.add(shard + "/" + seq);
            w.shard(shard).accept(r);
        }
    }
}
