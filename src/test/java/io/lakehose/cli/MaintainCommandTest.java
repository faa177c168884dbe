package io.lakehose.cli;

import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.testing.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
        assertThat(dry.out.strip().lines()).hasSize(3)
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes compact dry_run"))
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes expire dry_run"))
                .anyMatch(l -> l.startsWith("maintain example_ddb_table_changes orphans dry_run")
                        && l.contains("removed 1 files"));
        assertThat(listing(lake)).isEqualTo(before);

        CommandRun real = CommandRun.of("maintain", "--config", config.toString(), "--table", "example_ddb_table_changes");

        assertThat(real.exit).as(real.err).isZero();
        assertThat(real.out).contains("orphans done").doesNotContain("failed");
        assertThat(orphan).doesNotExist();
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
        StringBuilder yaml = new StringBuilder("lake:\n  uri: " + lake + "\n  format: " + format + "\n"
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
