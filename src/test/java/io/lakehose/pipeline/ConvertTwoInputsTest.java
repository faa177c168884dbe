package io.lakehose.pipeline;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.FirehoseArchive;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.lakehose.pipeline.ConvertEndToEndTest.relativeFiles;
import static io.lakehose.pipeline.ConvertEndToEndTest.summaryCounts;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two inputs of one table whose records share a partition (two files of changes to orders in the
 * same hour), converted one after the other into one output. Each input numbers its records from 1,
 * so in one shard the fence would take the second's records for the first's and drop them; each
 * input is a shard of its own ({@code input.SourceId}), so every record of both is stored once, and
 * converting either again adds nothing. docs/design.md, "Object names".
 */
class ConvertTwoInputsTest {

    private static final Instant H07 = Instant.parse("2024-11-25T07:00:00Z");

    @Test
    void foldersHoldEveryRecordOfBothInputsOnceAndAgainAddsNothing(@TempDir Path dir) throws Exception {
        Path first = changes(dir.resolve("day-1"), 1, 40);
        Path second = changes(dir.resolve("day-2"), 41, 80);
        Path lake = dir.resolve("lake");

        assertConverted(convert(first, lake), 40);
        assertConverted(convert(second, lake), 40);

        List<Map<String, Object>> rows = folderRows(lake);
        assertThat(rows).extracting(r -> r.get("partition")).as("the inputs share one partition")
                .containsOnly("orders/2024-11-25/07");
        assertThat(rows).extracting(r -> r.get("event_id")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(ids(1, 80));
        assertOneShardPerInput(rows);

        List<String> files = relativeFiles(lake);
        for (Path input : List.of(second, first)) {
            CommandRun again = convert(input, lake);
            assertThat(again.exit).as(again.err).isZero();
            assertThat(summaryCounts(again.out)).as(again.out).containsEntry("files", 0L);
        }
        assertThat(relativeFiles(lake)).isEqualTo(files);
        assertThat(folderRows(lake)).isEqualTo(rows);
    }

    @Test
    void icebergHoldsEveryRecordOfBothInputsOnceAndAgainAddsNothing(@TempDir Path dir) throws Exception {
        Path first = changes(dir.resolve("day-1"), 1, 40);
        Path second = changes(dir.resolve("day-2"), 41, 80);
        Path out = dir.resolve("warehouse-dir");

        assertConverted(convert(first, out, "--format", "iceberg"), 40);
        assertConverted(convert(second, out, "--format", "iceberg"), 40);

        Catalog catalog = ConvertIcebergTest.stockReader(ConvertIcebergTest.readerProperties(out));
        String orders = ChangeLogTables.catalogName("orders");
        List<Map<String, Object>> rows = tableRows(catalog, orders);
        assertThat(rows).extracting(r -> r.get("event_id")).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(ids(1, 80));
        assertOneShardPerInput(rows);

        List<String> files = ConvertIcebergTest.dataFiles(ConvertIcebergTest.table(catalog, orders));
        for (Path input : List.of(second, first)) {
            CommandRun again = convert(input, out, "--format", "iceberg");
            assertThat(again.exit).as(again.err).isZero();
            assertThat(summaryCounts(again.out)).as(again.out).containsEntry("rows", 0L);
        }
        assertThat(ConvertIcebergTest.dataFiles(ConvertIcebergTest.table(catalog, orders))).isEqualTo(files);
        assertThat(tableRows(catalog, orders)).containsExactlyInAnyOrderElementsOf(rows);
    }

    /**
     * {@code --source-id} names the input: a copy elsewhere converted under the same name adds
     * nothing; converted under another id (here, its path's), every record is stored again.
     */
    @Test
    void aNamedInputKeepsItsShardWhenItMovesAndAnotherIdStoresItTwice(@TempDir Path dir) throws Exception {
        Path original = changes(dir.resolve("archive"), 1, 40);
        Path moved = Files.copy(original, Files.createDirectories(dir.resolve("moved")).resolve("changes.jsonl"));
        Path lake = dir.resolve("lake");

        CommandRun run = convert(original, lake, "--source-id", "firehose-2024");
        assertConverted(run, 40);
        assertThat(run.outLines().get(0)).contains("(shard local-firehose-2024)");
        List<Map<String, Object>> rows = folderRows(lake);
        assertThat(rows).extracting(r -> r.get("shard_id")).containsOnly("local-firehose-2024");

        CommandRun again = convert(moved, lake, "--source-id", "firehose-2024");
        assertThat(again.exit).as(again.err).isZero();
        assertThat(summaryCounts(again.out)).as(again.out).containsEntry("files", 0L);
        assertThat(folderRows(lake)).isEqualTo(rows);

        assertConverted(convert(moved, lake), 40);
        assertThat(folderRows(lake)).extracting(r -> r.get("event_id")).hasSize(80)
                .containsExactlyInAnyOrderElementsOf(concat(ids(1, 40), ids(1, 40)));
    }

    /** The records of two inputs are in two shards, each named local-<12 hex digits>. */
    private static void assertOneShardPerInput(List<Map<String, Object>> rows) {
        Map<Object, List<Object>> idsByShard = rows.stream().collect(Collectors.groupingBy(r -> r.get("shard_id"),
                Collectors.mapping(r -> r.get("event_id"), Collectors.toList())));
        assertThat(idsByShard).hasSize(2);
        assertThat(idsByShard.keySet()).allSatisfy(s -> assertThat((String) s).matches("local-[0-9a-f]{12}"));
        assertThat(idsByShard.values()).extracting(List::size).containsOnly(40);
        assertThat(idsByShard.values()).anySatisfy(inShard -> assertThat(inShard).containsExactlyInAnyOrderElementsOf(ids(1, 40)));
    }

    private static void assertConverted(CommandRun run, long rows) {
        assertThat(run.exit).as(run.err).isZero();
        assertThat(summaryCounts(run.out)).as(run.out).containsEntry("rows", rows).containsEntry("errors", 0L);
    }

    /** One file of changes ev-from..ev-to to orders, 40 s apart: every one of them at 07:xx. */
    private static Path changes(Path dir, int from, int to) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int n = from; n <= to; n++) {
            lines.append(FirehoseArchive.record(n, H07.plusSeconds(n * 40L))).append('\n');
        }
        return Files.writeString(Files.createDirectories(dir).resolve("changes.jsonl"), lines);
    }

    private static CommandRun convert(Path input, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("convert", "--input", input.toString(), "--output", out.toString(),
                "--threads", "2"));
        args.addAll(List.of(extra));
        return CommandRun.of(args.toArray(String[]::new));
    }

    private static List<Map<String, Object>> folderRows(Path lake) {
        try (DuckDbLake duck = DuckDbLake.open()) {
            return duck.query("SELECT event_id, shard_id, sequence_number, \"table\" || '/' || dt || '/' || hour AS partition "
                    + "FROM " + DuckDbLake.lake(lake) + " ORDER BY shard_id, event_id");
        }
    }

    private static List<Map<String, Object>> tableRows(Catalog catalog, String table) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Record r : ConvertIcebergTest.rows(catalog, table)) {
            rows.add(Map.of("event_id", r.getField("event_id"), "shard_id", r.getField("shard_id"),
                    "sequence_number", r.getField("sequence_number")));
        }
        return rows;
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int n = from; n <= to; n++) {
            ids.add(FirehoseArchive.eventId(n));
        }
        return ids;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
