package io.lakehose.cli;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.FileConverter;
import io.lakehose.pipeline.LineBatches;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.FirehoseArchive;
import io.lakehose.testing.FirehoseArchive.Delimiter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Migrating from Firehose" queries on a lake that holds a converted archive
 * (ev-1..ev-100, converted hour by hour: two inputs, shards 'local-<id>') and what the service read
 * from the stream from an instant inside the archive's last hour on (ev-81..ev-130, a Kinesis shard
 * id): the overlap is found by event_id, and the second query keeps every change once.
 */
class FirehoseMigrationQueriesTest {

    private static final String STREAM_SHARD = "shardId-000000000000";

    @Test
    void theOverlapBetweenArchiveAndStreamIsFoundByEventIdAndDroppedOnce(@TempDir Path dir) throws Exception {
        Instant h07 = Instant.parse("2024-11-25T07:00:00Z");
        Instant h08 = Instant.parse("2024-11-25T08:00:00Z");
        Path archive = new FirehoseArchive()
                .add(h07, "a", 60, Delimiter.NONE, true)
                .add(h08, "b", 40, Delimiter.NONE, true) // ev-61..ev-100, over 08:00-09:00
                .writeTo(dir.resolve("firehose"));
        Path lake = dir.resolve("lake");
        for (String hour : List.of("07", "08")) {
            CommandRun run = CommandRun.of("convert", "--input", archive.resolve("2024/11/25/" + hour).toString(),
                    "--output", lake.toString());
            assertThat(run.exit).as(run.err).isZero();
        }
        readFromTheStream(dir, lake, 81, 130, h08); // the same records ev-81..ev-100, then newer ones

        String overlap = query("firehose-overlap.duckdb.sql", lake);
        String withoutOverlap = query("firehose-without-overlap.duckdb.sql", lake);
        try (DuckDbLake duck = DuckDbLake.open()) {
            List<Map<String, Object>> twice = duck.query(overlap);
            assertThat(twice).extracting(r -> r.get("event_id")).containsExactlyElementsOf(ids(81, 100));
            assertThat(twice).allSatisfy(r -> assertThat(r.get("shard_id")).isEqualTo(STREAM_SHARD));

            List<Map<String, Object>> once = duck.query("SELECT event_id, shard_id FROM (" + withoutOverlap.replace(";", "") + ")");
            assertThat(once).extracting(r -> r.get("event_id")).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(ids(1, 130));
            assertThat(once).filteredOn(r -> ids(81, 130).contains(r.get("event_id")))
                    .allSatisfy(r -> assertThat(r.get("shard_id")).isEqualTo(STREAM_SHARD));
            List<String> archiveShards = once.stream().filter(r -> ids(1, 80).contains(r.get("event_id")))
                    .map(r -> (String) r.get("shard_id")).distinct().toList();
            assertThat(archiveShards).as("the archive's rows, from its two inputs").hasSize(2)
                    .allSatisfy(shard -> assertThat(shard).matches("local-[0-9a-f]{12}"));
        }
    }

    /**
     * What the service writes for records ev-from..ev-to read from a Kinesis shard: the same
     * pipeline, another shard id; the records the archive holds too are the same bytes (its object
     * "b" spreads ev-61..ev-100 over the hour {@code h08}, 90 s apart).
     */
    private static void readFromTheStream(Path dir, Path lake, int from, int to, Instant h08) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int n = from; n <= to; n++) {
            lines.append(FirehoseArchive.record(n, h08.plusSeconds((n - 61) * 90L))).append('\n');
        }
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", lake.toString()));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        try (LocalDirectoryStore store = new LocalDirectoryStore(lake)) {
            new FileConverter(Pipelines.context(cfg, store, spool, RowEncoders.envelopeOnly(), new PipelineStats(), true), 1,
                    STREAM_SHARD, 0).convert(new LineBatches(new ByteArrayInputStream(lines.toString().getBytes()), 0));
        }
    }

    /** The query file the README shows, pointed at {@code lake}. */
    private static String query(String file, Path lake) throws Exception {
        String query = Files.readString(Path.of("config/queries", file));
        assertThat(Files.readString(Path.of("README.md"))).as("README shows " + file).contains(query);
        return query.replace("'lake/table=orders/", "'" + lake.resolve("table=orders") + "/");
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int n = from; n <= to; n++) {
            ids.add(FirehoseArchive.eventId(n));
        }
        return ids;
    }
}
