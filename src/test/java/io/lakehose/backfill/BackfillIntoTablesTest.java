package io.lakehose.backfill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DynamoDbLocalExtension;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.TestTables;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code backfill} with {@code lake.format: iceberg}: the SNAPSHOT rows go to the change-log
 * table through the tables' committer, each Scan segment a writer of its own, and a backfill
 * whose saved progress is behind what the table holds (a kill between a commit and the progress
 * save, here at its widest: every unit back at its first file) adds no row twice. Read back with
 * Iceberg's generic reader.
 */
class BackfillIntoTablesTest {

    @RegisterExtension
    static final DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();
    /** Only for the dummy credentials it installs for in-process clients. */
    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    @TempDir
    Path dir;

    @Test
    void snapshotRowsGoToTheTableOnceEvenWhenTheProgressFallsBehind() throws Exception {
        TestTables.create(ddb.client(), "orders", false);
        TestTables.load(ddb.client(), "orders", 0, 2000, TestTables::item);
        Path lake = dir.resolve("lake");
        Map<String, String> catalog = LocalWarehouse.writerProperties(dir.resolve("tables"));
        Files.createDirectories(dir.resolve("tables"));
        Path cfg = Files.writeString(dir.resolve("lakehose.yaml"), "lake:\n  uri: \"" + lake + "\"\n  format: iceberg\n"
                + "buffer:\n  maxBytes: 64KiB\n"
                + "iceberg:\n  namespace: cdc\n  commitIntervalSeconds: 1\n  catalog:\n"
                + "    type: jdbc\n    uri: \"" + catalog.get("uri") + "\"\n    jdbc.schema-version: V1\n"
                + "    warehouse: \"" + catalog.get("warehouse") + "\"\n    io-impl: " + catalog.get("io-impl") + "\n"
                + "backfill:\n  region: us-east-1\n  endpoint: \"" + ddb.endpoint() + "\"\n");
        String[] backfill = {"backfill", "--config", cfg.toString(), "--table", "orders", "--segments", "3",
                "--read-rate", "100000"};

        CommandRun first = CommandRun.of(backfill);

        assertThat(first.exit).as(first.out + first.err).isZero();
        assertThat(first.out).contains("backfill orders done: 2,000 items");
        List<String> keys = snapshotKeys(LocalWarehouse.readerProperties(dir.resolve("tables")));
        List<String> expected = LongStream.range(0, 2000).mapToObj(n -> "{\"id\":\"item-" + n + "\"}").toList();
        assertThat(keys).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
        try (var files = Files.walk(lake)) {
            assertThat(files.filter(f -> f.toString().endsWith(".parquet")).toList())
                    .as("no folder objects with lake.format iceberg").isEmpty();
        }

        rewindProgress(lake.resolve("_lakehose/backfill/orders.json"));
        CommandRun again = CommandRun.of(backfill);

        assertThat(again.exit).as(again.out + again.err).isZero();
        assertThat(again.out).contains("resuming");
        assertThat(snapshotKeys(LocalWarehouse.readerProperties(dir.resolve("tables"))))
                .as("the table after a resume from the start").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Every unit back at its first file, nothing done: what a kill right after each commit would leave at worst. */
    private static void rewindProgress(Path progress) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode p = (ObjectNode) json.readTree(progress.toFile());
        p.withArray("units").forEach(u -> ((ObjectNode) u).put("nextFile", 0).putNull("resumeKey").put("items", 0)
                .put("done", false));
        json.writeValue(progress.toFile(), p);
    }

    private static List<String> snapshotKeys(Map<String, String> reader) throws Exception {
        Catalog catalog = CatalogUtil.buildIcebergCatalog("lakehose", reader, new Configuration());
        Table table = catalog.loadTable(TableIdentifier.of("cdc", "orders_changes"));
        List<String> keys = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
            for (Record r : rows) {
                assertThat(r.getField("event_name")).isEqualTo("SNAPSHOT");
                keys.add((String) r.getField("keys"));
            }
        }
        return keys;
    }
}
