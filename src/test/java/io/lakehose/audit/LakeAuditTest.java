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
        try (LakeCommitter committer = new FolderCommitter(store, STREAM, Map.of(".jsonl", new ErrorLinesTrimmer()),
                1 << 20, Duration.ofMinutes(1))) {
            ShardCommitter shard = committer.openShard(SHARD, true);
            commit(shard, 1, 3, 5);
            commit(shard, 8, 9);
        }
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
        try (LakeCommitter committer = new FolderCommitter(store, STREAM, Map.of(".jsonl", new ErrorLinesTrimmer()),
                1 << 20, Duration.ofMinutes(1))) {
            commit(committer.openShard(SHARD, true), 1, 2);
        }
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
}
