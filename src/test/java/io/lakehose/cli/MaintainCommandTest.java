package io.lakehose.cli;

import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.testing.CommandRun;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lakehose maintain} as a user runs it, on the local warehouse {@code convert --format
 * iceberg} writes: one line per table and action, {@code --dry-run} changes nothing, and a wrong
 * table or a lake without tables is one line naming what to fix.
 */
class MaintainCommandTest {

    @TempDir
    Path dir;

    @Test
    void maintainsTheTablesOfTheConfiguredCatalogAndADryRunChangesNothing() throws Exception {
        Path lake = dir.resolve("lake");
        CommandRun convert = CommandRun.of("convert", "--input", "config/sample/changes.jsonl", "--output",
                lake.toString(), "--format", "iceberg");
        assertThat(convert.exit).as(convert.err).isZero();
        Path config = config(lake, "iceberg");
        Path dataDir;
        try (Stream<Path> files = Files.walk(lake.resolve("warehouse"))) {
            dataDir = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow().getParent();
        }
        Path orphan = Files.writeString(dataDir.resolve("killed-worker.parquet"), "uploaded, never committed");
        Files.setLastModifiedTime(orphan, FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        List<String> before = listing(lake);

        CommandRun dry = CommandRun.of("maintain", "--config", config.toString(), "--dry-run");

        assertThat(dry.exit).as(dry.err).isZero();
        assertThat(dry.out.strip().lines()).hasSize(4)
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes compact dry_run"))
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes manifests dry_run"))
                // One snapshot, younger than a day: the plan expires nothing, as the real run below does.
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes expire dry_run")
                        && l.contains("removed 0 files") && l.contains("0 of 1 snapshots to expire"))
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes orphans dry_run")
                        && l.contains("removed 1 files"));
        assertThat(listing(lake)).isEqualTo(before);

        CommandRun real = CommandRun.of("maintain", "--config", config.toString(), "--table", "example_ddb_table_changes");

        assertThat(real.exit).as(real.err).isZero();
        assertThat(real.out).contains("orphans done").contains("0 of 1 snapshots expired").doesNotContain("failed");
        assertThat(orphan).doesNotExist();
    }

    /**
     * A table with a typed schema (nested record, list, map, decimal, timestamp columns): the
     * compacted file carries a field id on every column, and Iceberg's generic reader, which reads
     * such a file by its ids, gets every value back.
     */
    @Test
    void typedColumnsNestedOnesIncludedSurviveCompaction() throws Exception {
        Path lake = dir.resolve("typed");
        String item = "{\"id\":{\"S\":\"ID\"},\"name\":{\"S\":\"Adam\"},\"employee_number\":{\"N\":\"42\"},"
                + "\"rating\":{\"N\":\"4.5\"},\"salary\":{\"N\":\"1234567.25\"},\"active\":{\"BOOL\":true},"
                + "\"skills\":{\"SS\":[\"go\",\"sql\"]},\"address\":{\"M\":{\"street\":{\"S\":\"Main 1\"},"
                + "\"city\":{\"S\":\"Oslo\"},\"zip\":{\"S\":\"0150\"}}},\"labels\":{\"M\":{\"team\":{\"S\":\"core\"}}}}";
        StringBuilder lines = new StringBuilder();
        for (String[] e : new String[][] {{"a", "1732525080123"}, {"b", "1732528680123"}}) { // 09:xx and 10:xx: two files
            lines.append("{\"awsRegion\":\"us-east-1\",\"eventID\":\"ev-").append(e[0]).append("\",\"eventName\":\"INSERT\",")
                    .append("\"tableName\":\"example-ddb-table\",\"dynamodb\":{\"ApproximateCreationDateTime\":")
                    .append(e[1]).append(",\"Keys\":{\"id\":{\"S\":\"").append(e[0]).append("\"}},\"NewImage\":")
                    .append(item.replace("ID", e[0])).append(",\"SizeBytes\":99},\"eventSource\":\"aws:dynamodb\"}\n");
        }
        Path input = Files.writeString(dir.resolve("typed.jsonl"), lines);
        Path schemas = Files.writeString(dir.resolve("schemas.yaml"), "tables:\n  example-ddb-table:\n    schema: "
                + Path.of("config/schemas/example-ddb-table.avsc").toAbsolutePath() + "\n");
        CommandRun convert = CommandRun.of("convert", "--input", input.toString(), "--output", lake.toString(),
                "--format", "iceberg", "--config", schemas.toString());
        assertThat(convert.exit).as(convert.err).isZero();

        CommandRun run = CommandRun.of("maintain", "--config", config(lake, "iceberg", "maintain:\n  minInputFiles: 2\n")
                .toString());

        assertThat(run.exit).as(run.err + run.out).isZero();
        assertThat(run.out).contains("compact done: 2 files").contains("-> 1 files");
        Catalog catalog = CatalogUtil.buildIcebergCatalog("lakehose", LocalWarehouse.writerProperties(lake), null);
        Table table = catalog.loadTable(TableIdentifier.of(Namespace.of("lakehose"), "example_ddb_table_changes"));
        List<Record> rows = new ArrayList<>();
        try (CloseableIterable<Record> all = IcebergGenerics.read(table).build()) {
            all.forEach(r -> rows.add(r.copy()));
        }
        assertThat(rows).extracting(r -> r.getField("event_id")).containsExactlyInAnyOrder("ev-a", "ev-b");
        for (Record r : rows) {
            assertThat(r.getField("name")).isEqualTo("Adam");
            assertThat(r.getField("employee_number")).isEqualTo(42L);
            assertThat(r.getField("salary")).isEqualTo(new BigDecimal("1234567.25"));
            assertThat(r.getField("skills")).isEqualTo(List.of("go", "sql"));
            assertThat(((Record) r.getField("address")).getField("city")).isEqualTo("Oslo");
            assertThat(r.getField("labels")).isEqualTo(Map.of("team", "core"));
            assertThat(r.getField("shard_id")).isNotNull();
        }
        if (catalog instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Test
    void aTableThatIsNotThereIsOneLine() throws Exception {
        Path lake = Files.createDirectories(dir.resolve("lake"));
        CommandRun run = CommandRun.of("maintain", "--config", config(lake, "iceberg").toString(), "--table", "nosuch");
        assertThat(run.exit).isNotZero();
        assertThat(run.err.strip().lines()).hasSize(1);
        assertThat(run.err).contains("--table").contains("nosuch").doesNotContain("\tat ");
    }

    @Test
    void aLakeOfFoldersHasNoTablesToMaintain() throws Exception {
        CommandRun run = CommandRun.of("maintain", "--config", config(dir, "folders").toString());
        assertThat(run.exit).isNotZero();
        assertThat(run.err).contains("lake.format is folders").doesNotContain("\tat ");
    }

    /** The configuration of the warehouse convert wrote into {@code lake}, with lake.format {@code format}. */
    private Path config(Path lake, String format) throws Exception {
        return config(lake, format, "");
    }

    private Path config(Path lake, String format, String more) throws Exception {
        StringBuilder yaml = new StringBuilder(more + "lake:\n  uri: " + lake + "\n  format: " + format + "\n"
                + "iceberg:\n  catalog:\n");
        LocalWarehouse.writerProperties(lake).forEach((k, v) -> yaml.append("    \"").append(k).append("\": \"")
                .append(v).append("\"\n"));
        return Files.writeString(dir.resolve(format + ".yaml"), yaml);
    }

    private static List<String> listing(Path lake) throws Exception {
        try (Stream<Path> files = Files.walk(lake)) {
            return files.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".db"))
                    .map(p -> p + " " + p.toFile().length() + " " + p.toFile().lastModified()).sorted().toList();
        }
    }
}
