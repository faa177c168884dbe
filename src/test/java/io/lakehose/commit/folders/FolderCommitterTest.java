package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The folder adapter of the commit port: visibility on completion, recovery from object names, health. */
class FolderCommitterTest {

    private static final String SHARD = "shardId-000000000007";
    private static final String DIR = "table=t/dt=2024-11-25/hour=09";

    @TempDir
    Path lake;
    @TempDir
    Path spool;

    private SealedFile file(long first, long last) throws IOException {
        Path p = Files.write(spool.resolve(first + ".tmp"), new byte[] {1, 2, 3});
        SequenceNumber f = SequenceNumber.of(first);
        SequenceNumber l = SequenceNumber.of(last);
        return new SealedFile(p, DIR, LakeLayout.objectKey(DIR, SHARD, f, l, ".parquet"), "application/vnd.apache.parquet",
                3, last - first + 1, f, l, 0);
    }

    @Test
    void aCommittedFileIsVisibleAndARecoveringShardSkipsWhatItHolds() throws Exception {
        try (LakeCommitter committer = new FolderCommitter(new LocalDirectoryStore(lake), 1 << 20, Duration.ofMinutes(1))) {
            ShardCommitter first = committer.openShard(SHARD, true);
            assertThat(first.isCommitted(DIR, SequenceNumber.of(5))).as("empty lake").isFalse();
            CompletableFuture<Void> done = first.commit(file(1, 10));
            done.get(5, TimeUnit.SECONDS);
            assertThat(first.flush()).succeedsWithin(5, TimeUnit.SECONDS);
            assertThat(lake.resolve(DIR).resolve(SHARD + "-1-10.parquet")).exists();

            ShardCommitter next = committer.openShard(SHARD, true);
            assertThat(next.isCommitted(DIR, SequenceNumber.of(10))).as("stored by the first lease").isTrue();
            assertThat(next.isCommitted(DIR, SequenceNumber.of(11))).isFalse();
            assertThat(next.isCommitted("table=t/dt=2024-11-25/hour=10", SequenceNumber.of(3)))
                    .as("another partition has no object of the shard").isFalse();
            assertThat(committer.openShard(SHARD, false).isCommitted(DIR, SequenceNumber.of(10)))
                    .as("a fresh output (convert) skips nothing").isFalse();
            assertThat(committer.health()).isEmpty();
        }
    }

    @Test
    void anUploadPastTheStuckLimitMakesTheCommitterUnhealthy() throws Exception {
        UploaderTest.ManualStore store = new UploaderTest.ManualStore();
        LakeCommitter committer = new FolderCommitter(store, 1 << 20, Duration.ofMillis(1));
        CompletableFuture<Void> pending = committer.openShard(SHARD, false).commit(file(1, 2));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (committer.health().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(committer.health()).hasValueSatisfying(h -> assertThat(h).contains("in flight"));
        assertThat(pending).isNotDone();
        store.complete(DIR + "/" + SHARD + "-1-2.parquet");
        assertThat(pending).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(committer.health()).isEmpty();
    }
}
