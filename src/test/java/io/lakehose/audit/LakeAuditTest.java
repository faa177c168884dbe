package io.lakehose.audit;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** audit: a clean lake passes; a record stored twice or a checkpoint past the stored records is reported. */
class LakeAuditTest {

    private static final String STREAM = "orders-cdc";
    private static final String SHARD = "shardId-000000000003";
    private static final String DIR = "cdc/table=orders/dt=2024-11-25/hour=09";

    @TempDir
    Path lake;
    @TempDir
    Path spool;

    private void commit(ShardCommitter shard, long... sequences) throws Exception {
        Path p = Files.createTempFile(spool, "f", ".tmp");
        StringBuilder lines = new StringBuilder();
        for (long s : sequences) {
            lines.append("{\"sequence_number\":\"").append(s).append("\",\"sub_sequence_number\":0}\n");
        }
        Files.writeString(p, lines);
        shard.commit(new SealedFile(p, DIR, ".jsonl", "application/x-ndjson", Files.size(p), sequences.length,
                SequenceNumber.of(sequences[0]), SequenceNumber.of(sequences[sequences.length - 1]), 0))
                .get(5, TimeUnit.SECONDS);
    }

    /** Commits one object per array of sequence numbers, in order, through the folder layout's fence. */
    private void commitObjects(LocalDirectoryStore store, long[]... objects) throws Exception {
        try (LakeCommitter committer = new FolderCommitter(store, STREAM, Map.of(".jsonl", new ErrorLinesTrimmer()),
                1 << 20, Duration.ofMinutes(1))) {
            ShardCommitter shard = committer.openShard(SHARD, true);
            for (long[] sequences : objects) {
                commit(shard, sequences);
            }
        }
    }

    private List<String> keys() throws Exception {
        try (var files = Files.walk(lake)) {
            return files.filter(Files::isRegularFile).map(f -> lake.relativize(f).toString())
                    .filter(k -> !k.startsWith("_lakehose/")).sorted().toList();
        }
    }

    private LakeAudit audit(LocalDirectoryStore store) {
        return new LakeAudit(STREAM, key -> store.metadata(key).map(m -> m.get("lakehose-last")).map(SequenceNumber::parse));
    }

    @Test
    void aFencedLakeIsCleanAndACopyOrAMissingEndIsReported() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(lake);
        commitObjects(store, new long[] {1, 3, 5}, new long[] {8, 9});
        LakeAudit.Report clean = audit(store).audit(keys(), Map.of(SHARD, SequenceNumber.of(9)));
        assertThat(clean.clean()).isTrue();
        assertThat(clean.objects()).isEqualTo(2);

        LakeAudit.Report behind = audit(store).audit(keys(), Map.of(SHARD, SequenceNumber.of(12)));
        assertThat(behind.gaps()).singleElement().asString().contains("checkpointed at 12").contains("up to 9");

        // A record stored twice: an object of the same shard that starts inside another's range.
        Path copy = lake.resolve(new ObjectNames(STREAM, SHARD).key(DIR, SequenceNumber.of(3), ".jsonl"));
        Files.writeString(copy, "{\"sequence_number\":\"3\",\"sub_sequence_number\":0}\n");
        Path metadata = lake.resolve(LocalDirectoryStore.METADATA_DIR).resolve(lake.relativize(copy) + ".properties");
        Files.writeString(metadata, "lakehose-last=5\n");
        LakeAudit.Report twice = audit(store).audit(keys(), Map.of());
        assertThat(twice.overlaps()).singleElement().asString().contains("overlap");
    }

    @Test
    void theCommandExitsZeroOnACleanLakeAndOneWithTheReport() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(lake);
        commitObjects(store, new long[] {1, 2});
        Path config = Files.writeString(spool.resolve("lakehose.yaml"),
                "lake:\n  uri: s3://bucket/cdc\nkinesis:\n  stream: " + STREAM + "\n");
        CommandRun ok = CommandRun.of("audit", "--config", config.toString(), "--lake", lake.toString(), "--no-checkpoints");
        assertThat(ok.exit).as(ok.err).isZero();
        assertThat(ok.out).contains("1 objects of 1 shards").contains("0 overlaps, 0 gaps");

        Path copy = lake.resolve(new ObjectNames(STREAM, SHARD).key(DIR, SequenceNumber.of(2), ".jsonl"));
        Files.writeString(copy, "{}\n");
        Path metadata = lake.resolve(LocalDirectoryStore.METADATA_DIR).resolve(lake.relativize(copy) + ".properties");
        Files.writeString(metadata, "lakehose-last=2\n");
        CommandRun bad = CommandRun.of("audit", "--config", config.toString(), "--lake", lake.toString(), "--no-checkpoints");
        assertThat(bad.exit).isEqualTo(1);
        assertThat(bad.out).contains("OVERLAP").contains(Optional.of(copy.getFileName().toString()).get());
    }

    /** A forged object of the shard in {@link #DIR}: its rows (lines) and its last record, as a writer of the release before could leave. */
    private Path forge(long start, long last, long... rows) throws Exception {
        Path copy = lake.resolve(new ObjectNames(STREAM, SHARD).key(DIR, SequenceNumber.of(start), ".jsonl"));
        StringBuilder lines = new StringBuilder();
        for (long r : rows) {
            lines.append("{\"sequence_number\":\"").append(r).append("\",\"sub_sequence_number\":0}\n");
        }
        Files.writeString(copy, lines);
        Path metadata = lake.resolve(LocalDirectoryStore.METADATA_DIR).resolve(lake.relativize(copy) + ".properties");
        Files.createDirectories(metadata.getParent());
        Files.writeString(metadata, "lakehose-last=" + last + "\n");
        return copy;
    }

    private CommandRun audit(String... extra) throws Exception {
        Path config = Files.writeString(spool.resolve("lakehose.yaml"),
                "lake:\n  uri: s3://bucket/cdc\nkinesis:\n  stream: " + STREAM + "\n");
        List<String> args = new ArrayList<>(List.of("audit", "--config", config.toString(), "--lake",
                lake.toString(), "--no-checkpoints"));
        args.addAll(List.of(extra));
        return CommandRun.of(args.toArray(String[]::new));
    }

    /** Every row of the shard's objects in {@link #DIR}, duplicates kept, in key order. */
    private List<String> rows() throws Exception {
        List<String> rows = new ArrayList<>();
        for (String key : keys()) {
            for (String line : Files.readAllLines(lake.resolve(key))) {
                rows.add(line.replaceAll(".*\"sequence_number\":\"(\\d+)\".*", "$1"));
            }
        }
        return rows;
    }

    @Test
    void repairRemovesRowsStoredTwiceWhenEachIsProvablyInItsNeighbour() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(lake);
        commitObjects(store, new long[] {1, 3, 5}, new long[] {8, 9, 12});
        forge(3, 8, 3, 5, 8); // rows of both neighbours: its rest (8) would go where [8..12] starts, which has it
        forge(5, 5, 5); // wholly inside [1..5]
        forge(9, 14, 9, 12, 14); // overlaps [8..12]; 14 is only here and must stay
        assertThat(rows()).hasSize(13);

        CommandRun before = audit();
        assertThat(before.exit).isEqualTo(1);
        assertThat(before.out).contains("3 overlaps");

        CommandRun repaired = audit("--repair");
        assertThat(repaired.exit).as(repaired.out + repaired.err).isZero();
        assertThat(repaired.out).contains("REPAIRED deleted").contains("REPAIRED replaced").doesNotContain("LEFT")
                .contains("0 overlaps, 0 gaps");
        assertThat(rows()).containsExactlyInAnyOrder("1", "3", "5", "8", "9", "12", "14");
        assertThat(audit().exit).isZero();
    }

    @Test
    void repairLeavesAnOverlapWhoseRowsAreNotAllInItsNeighbour() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(lake);
        commitObjects(store, new long[] {1, 3, 5});
        Path forged = forge(3, 4, 3, 4); // 4 is in no other object: cutting it would lose it
        CommandRun run = audit("--repair");
        assertThat(run.exit).isEqualTo(1);
        assertThat(run.out).contains("LEFT").contains("1 of its rows at or before 5 are not in").contains("1 overlaps");
        assertThat(forged).exists();
        assertThat(rows()).containsExactlyInAnyOrder("1", "3", "5", "3", "4");
    }
}
