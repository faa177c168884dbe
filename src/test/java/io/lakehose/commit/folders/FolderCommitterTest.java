package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.LeaseLostException;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The folder adapter of the commit port on a local directory (whose hard links refuse an
 * existing name, like S3's If-None-Match): visibility on completion, recovery from the shard's
 * own objects, the race of two writers of one shard, lease loss, health.
 */
class FolderCommitterTest {

    private static final String STREAM = "orders-cdc";
    private static final String SHARD = "shardId-000000000007";
    private static final String DIR = "errors/table=t/reason=invalid_json/dt=2024-11-25";
    private static final ObjectNames NAMES = new ObjectNames(STREAM, SHARD);

    @TempDir
    Path lake;
    @TempDir
    Path spool;

    private LakeCommitter committer() {
        return committer(new LocalDirectoryStore(lake));
    }

    private static LakeCommitter committer(ObjectStore store) {
        ErrorLinesTrimmer lines = new ErrorLinesTrimmer();
        return new FolderCommitter(store, STREAM, Map.of(".jsonl", lines), 1 << 20, Duration.ofMinutes(1));
    }

    /** A finished error-output file holding the records {@code sequences} of the shard. */
    private SealedFile file(long... sequences) throws IOException {
        Path p = Files.createTempFile(spool, "f", ".tmp");
        StringBuilder lines = new StringBuilder();
        for (long s : sequences) {
            lines.append("{\"error_code\":\"invalid_json\",\"sequence_number\":\"").append(s)
                    .append("\",\"sub_sequence_number\":0}\n");
        }
        Files.writeString(p, lines);
        return new SealedFile(p, DIR, ".jsonl", "application/x-ndjson", Files.size(p), sequences.length,
                SequenceNumber.of(sequences[0]), SequenceNumber.of(sequences[sequences.length - 1]), 0);
    }

    /** Every sequence number stored in the directory, over all objects, in name order. */
    private List<Long> stored() throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(lake.resolve(DIR))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    out.add(Long.parseLong(line.replaceAll(".*\"sequence_number\":\"(\\d+)\".*", "$1")));
                }
            }
        }
        return out;
    }

    @Test
    void aCommittedFileIsVisibleUnderItsStartAndARecoveringShardSkipsWhatItHolds() throws Exception {
        try (LakeCommitter committer = committer()) {
            ShardCommitter first = committer.openShard(SHARD, true);
            assertThat(first.isCommitted(DIR, SequenceNumber.of(5))).as("empty lake").isFalse();
            Committed done = first.commit(file(1, 4, 10)).get(5, TimeUnit.SECONDS);
            assertThat(done.location()).contains(NAMES.key(DIR, SequenceNumber.of(1), ".jsonl"));
            assertThat(done.rows()).isEqualTo(3);
            assertThat(lake.resolve(NAMES.key(DIR, SequenceNumber.of(1), ".jsonl"))).exists();

            ShardCommitter next = committer.openShard(SHARD, true);
            assertThat(next.isCommitted(DIR, SequenceNumber.of(10))).as("stored by the first lease").isTrue();
            assertThat(next.isCommitted(DIR, SequenceNumber.of(11))).isFalse();
            assertThat(next.isCommitted("errors/table=t/reason=invalid_json/dt=2024-11-26", SequenceNumber.of(3)))
                    .as("another directory has no object of the shard").isFalse();
            assertThat(committer.openShard(SHARD, false).isCommitted(DIR, SequenceNumber.of(10)))
                    .as("a fresh output (convert) skips nothing").isFalse();
            try (LakeCommitter otherStream = new FolderCommitter(new LocalDirectoryStore(lake), "payments-cdc",
                    Map.of(), 1 << 20, Duration.ofMinutes(1))) {
                assertThat(otherStream.openShard(SHARD, true).isCommitted(DIR, SequenceNumber.of(10)))
                        .as("the same shard id of another stream has stored nothing").isFalse();
            }
        }
    }

    @Test
    void objectsOfTheReleaseBeforeTheFenceStillGiveTheMark() throws Exception {
        Path legacy = lake.resolve(LakeLayout.objectKey(DIR, SHARD, SequenceNumber.of(1), SequenceNumber.of(42), ".jsonl"));
        Files.createDirectories(legacy.getParent());
        Files.writeString(legacy, "{}\n");
        try (LakeCommitter committer = committer()) {
            ShardCommitter shard = committer.openShard(SHARD, true);
            assertThat(shard.isCommitted(DIR, SequenceNumber.of(42))).isTrue();
            assertThat(shard.isCommitted(DIR, SequenceNumber.of(43))).isFalse();
        }
    }

    @Test
    void theLoserOfARaceGoesOnWhereTheWinnerEndedSoNoRecordIsStoredTwiceOrLost() throws Exception {
        try (LakeCommitter committer = committer()) {
            // Both believe the chain is empty: the stale owner (frozen before its upload) and the new one.
            ShardCommitter stale = committer.openShard(SHARD, true);
            ShardCommitter owner = committer.openShard(SHARD, true);
            assertThat(stale.isCommitted(DIR, SequenceNumber.of(1))).isFalse();
            assertThat(owner.isCommitted(DIR, SequenceNumber.of(1))).isFalse();

            // The new owner cut its files elsewhere (a time-based flush): 1..3, then 5..9.
            assertThat(owner.commit(file(1, 2, 3)).get(5, TimeUnit.SECONDS).rows()).isEqualTo(3);
            // The stale owner wakes up with one file of 1..7 (the same records, cut later).
            Committed staleDone = stale.commit(file(1, 2, 3, 5, 7)).get(5, TimeUnit.SECONDS);
            assertThat(staleDone.rows()).as("only what the winner did not hold").isEqualTo(2);
            assertThat(staleDone.location()).contains(NAMES.key(DIR, SequenceNumber.of(5), ".jsonl"));
            // The owner's next file now races the stale owner's remainder for key 5 and loses.
            Committed ownerNext = owner.commit(file(5, 7, 8, 9)).get(5, TimeUnit.SECONDS);
            assertThat(ownerNext.rows()).isEqualTo(2);
            assertThat(ownerNext.location()).contains(NAMES.key(DIR, SequenceNumber.of(8), ".jsonl"));
            // And a file whose rest another writer stored adds nothing (it raced for key 8 and lost).
            assertThat(stale.commit(file(7, 8)).get(5, TimeUnit.SECONDS)).isEqualTo(Committed.NOTHING_NEW);

            assertThat(stored()).containsExactly(1L, 2L, 3L, 5L, 7L, 8L, 9L);
            assertThat(((FolderCommitter) committer).fenceCounters().racesLost.sum()).isEqualTo(3);
            assertThat(owner.isCommitted(DIR, SequenceNumber.of(9))).isTrue();
        }
    }

    @Test
    void afterTheLeaseIsLostQueuedFilesAreNotStored() throws Exception {
        UploaderTest.ManualStore store = new UploaderTest.ManualStore();
        LakeCommitter committer = committer(store);
        ShardCommitter shard = committer.openShard(SHARD, false);
        CompletableFuture<Committed> first = shard.commit(file(1, 2));
        CompletableFuture<Committed> queued = shard.commit(file(3, 4));
        shard.abandon();
        store.complete(NAMES.key(DIR, SequenceNumber.of(1), ".jsonl"));
        Throwable refused = queued.handle((ok, err) -> err instanceof CompletionException
                ? err.getCause() : err).get(5, TimeUnit.SECONDS);
        assertThat(refused).as("cancelled or refused as lease lost")
                .isInstanceOfAny(CancellationException.class, LeaseLostException.class);
        assertThat(store.puts).doesNotContainKey(NAMES.key(DIR, SequenceNumber.of(3), ".jsonl"));
        assertThat(first).isDone();
    }

    @Test
    void anUploadPastTheStuckLimitMakesTheCommitterUnhealthy() throws Exception {
        UploaderTest.ManualStore store = new UploaderTest.ManualStore();
        LakeCommitter committer = new FolderCommitter(store, STREAM, Map.of(), 1 << 20, Duration.ofMillis(1));
        CompletableFuture<Committed> pending = committer.openShard(SHARD, false).commit(file(1, 2));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (committer.health().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(committer.health()).hasValueSatisfying(h -> assertThat(h).contains("in flight"));
        assertThat(pending).isNotDone();
        store.complete(NAMES.key(DIR, SequenceNumber.of(1), ".jsonl"));
        assertThat(pending).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(committer.health()).isEmpty();
    }
}
