package io.lakehose.commit.iceberg.state;

import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.encode.EnvelopeSchema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The current-state table against a JDBC catalog on SQLite with local files, read back with
 * Iceberg's generic reader (it applies position deletes and reads by field id).
 */
class CurrentStateTableTest {

    private static final String SHARD = "shardId-000000000001";
    private static final long T0 = 1_732_500_000_000_000L;

    @TempDir
    Path dir;
    private Catalog catalog;
    private Table changeLog;
    private TableIdentifier changeLogId;
    private final List<GenericRecord> all = new ArrayList<>();
    private final Random random = new Random(7);
    private long seq;

    @BeforeEach
    void setUp() {
        catalog = CatalogUtil.buildIcebergCatalog("lakehose", LocalWarehouse.writerProperties(dir), null);
        ((SupportsNamespaces) catalog).createNamespace(Namespace.of("lake"));
        changeLogId = TableIdentifier.of("lake", "orders_changes");
        changeLog = catalog.buildTable(changeLogId, ChangeLogTables.SCHEMA)
                .withPartitionSpec(PartitionSpec.unpartitioned())
                .withProperty(TableProperties.FORMAT_VERSION, "2").create();
    }

    @AfterEach
    void tearDown() throws Exception {
        ((AutoCloseable) catalog).close();
    }

    private CurrentStateTable writer(boolean keepTombstones) {
        return new CurrentStateTables(catalog, new CurrentStateSettings(true, Map.of(), keepTombstones), "test")
                .of("Orders", changeLogId, changeLog);
    }

    private GenericRecord row(String key, String event, long time) {
        GenericRecord r = new GenericData.Record(EnvelopeSchema.SCHEMA);
        r.put("event_id", "e" + (seq + 1));
        r.put("event_name", event);
        r.put("table_name", "Orders");
        r.put("event_time", T0 + time);
        r.put("keys", "{\"pk\":\"" + key + "\"}");
        r.put("new_image", event.equals(Change.REMOVE) ? null : "{\"pk\":\"" + key + "\",\"t\":" + time + "}");
        r.put("shard_id", SHARD);
        r.put("sequence_number", Long.toString(++seq));
        r.put("sub_sequence_number", 0L);
        r.put("arrival_time", T0 + seq);
        return r;
    }

    /** One change-log commit of {@code n} random changes of 40 keys, event times out of order, some delivered twice. */
    private void appendChanges(int n) throws Exception {
        List<GenericRecord> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(5);
            String event = kind == 0 ? Change.REMOVE : kind == 1 ? "INSERT" : "MODIFY";
            rows.add(row("k" + random.nextInt(40), event, 1_000_000L * random.nextInt(100)));
            if (!all.isEmpty() && random.nextInt(8) == 0) {
                rows.add(all.get(random.nextInt(all.size()))); // a duplicate of an earlier change
            }
        }
        all.addAll(rows);
        DataFile f = StateFiles.writeData(changeLog, EnvelopeSchema.SCHEMA, rows, "changes");
        changeLog.newFastAppend().appendFile(f).commit();
    }

    /** Independently: per key the change of the newest event time, then the higher sequence number; no REMOVE. */
    private Map<String, String> reference() {
        Map<String, GenericRecord> newest = new HashMap<>();
        Comparator<GenericRecord> order = Comparator.<GenericRecord>comparingLong(r -> (Long) r.get("event_time"))
                .thenComparingLong(r -> Long.parseLong(r.get("sequence_number").toString()));
        all.forEach(r -> newest.merge(r.get("keys").toString(), r, (a, b) -> order.compare(b, a) > 0 ? b : a));
        Map<String, String> expected = new TreeMap<>();
        newest.forEach((k, r) -> {
            if (!r.get("event_name").toString().equals(Change.REMOVE)) {
                expected.put(k, r.get("event_id") + "/" + r.get("new_image"));
            }
        });
        return expected;
    }

    /** key -> "event_id/new_image" through Iceberg's generic reader; fails on two rows of one key. */
    private Map<String, String> read(Table state) throws Exception {
        state.refresh();
        Map<String, String> rows = new TreeMap<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(state).build()) {
            for (Record r : records) {
                assertThat(r.getField("event_time")).isInstanceOf(OffsetDateTime.class);
                assertThat(rows.put((String) r.getField("keys"), r.getField("event_id") + "/" + r.getField("new_image")))
                        .as("one row per key").isNull();
            }
        }
        return rows;
    }

    @Test
    void manyCommitsOfOutOfOrderChangesGiveTheNewestChangePerKey() throws Exception {
        CurrentStateTable writer = writer(false);
        for (int commit = 0; commit < 12; commit++) {
            appendChanges(1 + random.nextInt(60));
            if (commit % 4 == 3) {
                appendChanges(10); // two change-log commits applied in one state commit
            }
            CurrentStateTable.Applied applied = writer.catchUp();
            assertThat(applied.committed()).isTrue();
            assertThat(read(writer.table())).as("after commit %d", commit).isEqualTo(reference());
        }
        assertThat(writer.catchUp().committed()).as("nothing new, nothing committed").isFalse();
        // A writer that starts now builds its index from the table (position deletes applied) and goes on.
        // Its changes are as out of order as before, duplicates of old changes among them: the
        // tombstones of the REMOVEs applied before it started come from the change log.
        CurrentStateTable restarted = writer(false);
        appendChanges(50);
        restarted.catchUp();
        assertThat(read(restarted.table())).isEqualTo(reference());
        assertThat(restarted.indexedRows()).isEqualTo(reference().size());
    }

    @Test
    void theFilesCarryFieldIdsAndMetrics() throws Exception {
        CurrentStateTable writer = writer(false);
        appendChanges(30);
        writer.catchUp();
        int keysId = writer.table().schema().findField("keys").fieldId();
        try (CloseableIterable<FileScanTask> tasks = writer.table().newScan().includeColumnStats().planFiles()) {
            for (FileScanTask t : tasks) {
                try (ParquetFileReader r = ParquetFileReader.open(
                        IcebergParquetFiles.in(writer.table().io().newInputFile(t.file().location()), new AtomicLong()))) {
                    assertThat(r.getFooter().getFileMetaData().getSchema().getType("keys").getId())
                            .isEqualTo(new Type.ID(keysId));
                }
                assertThat(t.file().valueCounts()).containsKey(keysId);
                assertThat(t.file().recordCount()).isPositive();
            }
        }
    }

    @Test
    void aWriterWhoseTableMovedCatchesUpAndAppliesEachChangeOnce() throws Exception {
        CurrentStateTable a = writer(false);
        CurrentStateTable b = new CurrentStateTables(catalog, new CurrentStateSettings(true, Map.of(), false), "other")
                .of("Orders", changeLogId, changeLog);
        appendChanges(40);
        a.catchUp();
        appendChanges(40);
        b.catchUp(); // its index built before a's commit? no: built now, from a's snapshot
        appendChanges(40);
        // b's commit is computed, then a commits first: b is refused, catches up from a's snapshot, computes again.
        b.beforeCommit = () -> {
            b.beforeCommit = () -> { };
            a.catchUp();
        };
        CurrentStateTable.Applied applied = b.catchUp();
        assertThat(applied.committed()).as("a applied everything; b finds nothing left").isFalse();
        appendChanges(40);
        b.catchUp();
        appendChanges(40);
        a.catchUp(); // a catches up from b's snapshot (its deletes and rows), then applies
        assertThat(read(a.table())).isEqualTo(reference());
        assertThat(a.indexedRows()).isEqualTo(reference().size());
        assertThat(b.indexedRows()).isLessThanOrEqualTo(reference().size() + 40);
    }

    @Test
    void keptTombstonesAreRowsOfTheirRemove() throws Exception {
        CurrentStateTable writer = writer(true);
        all.add(row("gone", "INSERT", 1));
        all.add(row("gone", Change.REMOVE, 2));
        changeLog.newFastAppend().appendFile(StateFiles.writeData(changeLog, EnvelopeSchema.SCHEMA, all, "changes")).commit();
        writer.catchUp();
        writer.table().refresh();
        try (CloseableIterable<Record> records = IcebergGenerics.read(writer.table()).build()) {
            List<String> events = new ArrayList<>();
            records.forEach(r -> events.add((String) r.getField("event_name")));
            assertThat(events).containsExactly(Change.REMOVE);
        }
        assertThat(Optional.ofNullable(writer.table().currentSnapshot().summary().get(CurrentStateTable.SOURCE_SNAPSHOT)))
                .contains(Long.toString(changeLog.currentSnapshot().snapshotId()));
    }

    /**
     * A writer counts the bytes it fetched, not the lengths of the files it opened: building the
     * index reads the key and order columns only, not the images (here 4 KB per row).
     */
    @Test
    void bytesReadCountsTheProjectedColumnsNotTheWholeFiles() throws Exception {
        for (int i = 0; i < 200; i++) {
            GenericRecord r = row("k" + i, "INSERT", i);
            StringBuilder pad = new StringBuilder(); // random hex: incompressible, so the file is as wide as its images
            while (pad.length() < 4096) {
                pad.append(Long.toHexString(random.nextLong()));
            }
            r.put("new_image", "{\"pk\":\"k" + i + "\",\"pad\":\"" + pad + "\"}");
            all.add(r);
        }
        changeLog.newFastAppend().appendFile(StateFiles.writeData(changeLog, EnvelopeSchema.SCHEMA, all, "changes")).commit();
        CurrentStateTable.Applied applied = writer(false).catchUp();
        long changeLogBytes = changeLog.currentSnapshot().addedDataFiles(changeLog.io()).iterator().next().fileSizeInBytes();
        assertThat(applied.bytesRead()).as("the whole change-log file is read (every column)")
                .isBetween(changeLogBytes / 2, changeLogBytes * 2);

        CurrentStateTable restarted = writer(false);
        CurrentStateTable.Applied nothingNew = restarted.catchUp();
        long stateBytes = restarted.table().currentSnapshot().addedDataFiles(restarted.table().io()).iterator().next()
                .fileSizeInBytes();
        assertThat(nothingNew.committed()).isFalse();
        assertThat(nothingNew.bytesRead()).as("index build: footer and key columns of a %d-byte file", stateBytes)
                .isPositive().isLessThan(stateBytes / 4)
                .isEqualTo(restarted.bytesRead());
    }
}
