package io.lakehose.pipeline;

import io.lakehose.decode.EventTimeBounds;
import io.lakehose.testing.Await;
import io.lakehose.testing.ForwardingStore;
import io.lakehose.buffer.BufferLimits;
import io.lakehose.buffer.MemoryBudget;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.checkpoint.CheckpointException;
import io.lakehose.checkpoint.Checkpointer;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;
import io.lakehose.testing.RecordingCheckpointer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shard lifecycle against a real local lake: checkpoints only cover uploaded records, and a
 * crash or replay re-reading from the last checkpoint adds no duplicate rows.
 */
class ShardSessionTest {

    private static final long T0 = Instant.parse("2024-11-25T08:00:00Z").toEpochMilli() * 1000;

    @TempDir
    Path lake;
    @TempDir
    Path spool;

    private final List<String> checkpoints = new ArrayList<>();
    private final List<Throwable> fatal = new ArrayList<>();
    private final Checkpointer checkpointer = new RecordingCheckpointer(checkpoints);
    private MutableClock clock;

    @BeforeEach
    void clock() {
        clock = new MutableClock(Instant.parse("2024-11-25T08:00:00Z"));
    }

    /** Records whose event time is in hour 09; all others are in hour 08. */
    private Set<Long> hour9 = Set.of(1L, 4L);

    /** A record of table t1 arriving at T0 + seq seconds, in hour 08 or 09 (see {@link #hour9}). */
    private SourceRecord record(long seq) {
        long eventMillis = (T0 / 1000) + (hour9.contains(seq) ? 3_600_000 : 0) + seq;
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"table1\",\"awsRegion\":\"us-east-1\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + eventMillis + ",\"Keys\":{\"id\":{\"N\":\"" + seq
                + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq + "\"}}},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of("shardId-000000000001", SequenceNumber.of(seq), T0 + seq * 1_000_000L,
                json.getBytes(StandardCharsets.UTF_8));
    }

    private List<SourceRecord> records(long from, long to) {
        List<SourceRecord> list = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            list.add(record(s));
        }
        return list;
    }

    private PipelineContext context(ObjectStore store, BufferLimits limits) {
        return context(store, limits, MemoryBudget.unlimited());
    }

    private PipelineContext context(ObjectStore store, BufferLimits limits, MemoryBudget memory) {
        return new PipelineContext(LakeLayout.defaults(),
                ParquetSpoolWriter.factory(RowEncoders.envelopeOnly()::forTable, ParquetSettings.defaults()),
                ErrorLineWriter.factory(false), limits, memory, new FolderCommitter(store, "stream-1",
                        Map.of(".parquet", new ParquetTrimmer(ParquetSettings.defaults()), ".jsonl", new ErrorLinesTrimmer()),
                        1 << 30, Duration.ofMinutes(5)), spool,
                new PipelineStats(), false, EventTimeBounds.DEFAULT);
    }

    private ShardSession session(PipelineContext ctx) {
        return session(ctx, "shardId-000000000001");
    }

    private ShardSession session(PipelineContext ctx, String shardId) {
        ShardPipeline pipeline = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, true));
        return new ShardSession(pipeline, clock, Duration.ZERO, (shard, e) -> fatal.add(e));
    }

    @Test
    void checkpointsOnlyWhatIsUploadedEvenWhenPartitionsFlushAtDifferentTimes() {
        // files close at 3 records: hour 08 (2, 3, 5) is uploaded, hour 09 (1, 4) stays in memory
        ShardSession s = session(context(new LocalDirectoryStore(lake), new BufferLimits(1 << 30, 3, Long.MAX_VALUE / 4)));
        s.process(records(1, 6), checkpointer);
        assertThat(checkpoints).as("record 1 (hour 09) is still buffered").isEmpty();
        s.shutdownRequested(checkpointer, Duration.ofSeconds(10));
        assertThat(checkpoints).containsExactly("6");
        assertThat(rowsBySequence()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void quietShardFlushesByWallClockAge() {
        ShardSession s = session(context(new LocalDirectoryStore(lake), new BufferLimits(1 << 30, 1000, 60_000_000L)));
        clock.set(Instant.ofEpochSecond(0, (T0 + 3_000_000L) * 1000));
        s.process(records(1, 2), checkpointer);
        assertThat(checkpoints).isEmpty();
        clock.advance(Duration.ofSeconds(61)); // no new records; the files' arrival-age is past 60 s
        s.process(List.of(), checkpointer);
        assertThat(checkpoints).containsExactly("2");
    }

    @Test
    void crashAfterSomeUploadsThenReReadFromTheCheckpointDuplicatesNothing() {
        // Run 1: files close at 2 records; record 1 alone in hour 09 stays open; "crash" = the session is dropped.
        hour9 = Set.of(1L);
        ShardSession first = session(context(new LocalDirectoryStore(lake), new BufferLimits(1 << 30, 2, Long.MAX_VALUE / 4)));
        first.process(records(1, 20), checkpointer);
        assertThat(checkpoints).isEmpty(); // record 1 is in the open hour-09 file
        assertThat(rowsBySequence()).containsExactlyElementsOf(LongStream.rangeClosed(2, 19).boxed().toList());
        first.leaseLost();

        // Run 2 re-reads everything with other file boundaries (a replay from TRIM_HORIZON).
        ShardSession second = session(context(new LocalDirectoryStore(lake), new BufferLimits(1 << 30, 7, Long.MAX_VALUE / 4)));
        second.process(records(1, 30), checkpointer);
        second.shutdownRequested(checkpointer, Duration.ofSeconds(10));
        List<Long> rows = rowsBySequence();
        assertThat(rows).hasSize(30).doesNotHaveDuplicates();
        assertThat(checkpoints).last().isEqualTo("30");

        // Run 3: an operator replays the whole range again: nothing changes.
        ShardSession third = session(context(new LocalDirectoryStore(lake), new BufferLimits(1 << 30, 5, Long.MAX_VALUE / 4)));
        third.process(records(1, 30), checkpointer);
        third.shutdownRequested(checkpointer, Duration.ofSeconds(10));
        assertThat(rowsBySequence()).isEqualTo(rows);
    }

    @Test
    void failedUploadStopsCheckpointsAndReportsFatal() {
        ObjectStore failing = new FailingStore(new LocalDirectoryStore(lake), key -> key.contains("hour=09"));
        ShardSession s = session(context(failing, new BufferLimits(1 << 30, 1, Long.MAX_VALUE / 4)));
        s.process(records(1, 4), checkpointer);   // record 1 (hour 09) fails to upload
        s.process(records(5, 8), checkpointer);
        s.shutdownRequested(checkpointer, Duration.ofSeconds(5));
        assertThat(fatal).hasSize(1);
        assertThat(s.failed()).isTrue();
        assertThat(checkpoints).isEmpty(); // nothing at or after record 1 may ever be checkpointed
    }

    /**
     * An upload that never answers: the signals must show it. The oldest record not yet durable
     * keeps its age, the checkpoint age is not reset by attempts that write nothing, records
     * uploading still count as buffered, and shutdown keeps its budget.
     */
    @Test
    void aStuckUploadShowsInEverySignalAndShutdownKeepsItsBudget() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        ObjectStore stuck = new ForwardingStore(new LocalDirectoryStore(lake)) {
            @Override
            public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                         Map<String, String> metadata) {
                return answer.thenCompose(v -> delegate.putIfAbsent(file, key, contentType, metadata));
            }
        };
        PipelineContext ctx = context(stuck, new BufferLimits(1 << 30, 3, Long.MAX_VALUE / 4));
        ShardSession s = session(ctx);
        long before = System.currentTimeMillis();
        s.process(records(1, 5), checkpointer); // hour 08 (2, 3, 5) sealed: its upload hangs; 1, 4 buffered
        long since = s.oldestPendingSinceMillis().orElseThrow();
        assertThat(since).isBetween(before, System.currentTimeMillis());
        long checkpointedAt = s.lastCheckpointMillis();
        assertThat(ctx.stats().bufferedRecords.sum()).as("3 uploading + 2 buffered").isEqualTo(5);

        clock.advance(Duration.ofMinutes(5)); // hour 09 sealed by age too: both uploads hang now
        s.process(List.of(), checkpointer);
        s.process(List.of(), checkpointer);
        assertThat(checkpoints).isEmpty();
        assertThat(s.lastCheckpointMillis()).as("attempts that write nothing do not reset the age").isEqualTo(checkpointedAt);
        assertThat(s.oldestPendingSinceMillis()).hasValue(since);
        assertThat(ctx.stats().bufferedRecords.sum()).isEqualTo(5);

        long stopping = System.nanoTime();
        s.shutdownRequested(checkpointer, Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(5));
        assertThat(checkpoints).isEmpty();

        answer.complete(null); // S3 answers at last: everything durable, nothing waits
        Await.until("both uploads done", Duration.ofSeconds(10), () -> s.oldestPendingSinceMillis().isEmpty());
        assertThat(ctx.stats().bufferedRecords.sum()).isZero();
    }

    /**
     * Memory pressure reaches an idle shard: the budget asks the largest open file to flush, here
     * that of a shard that receives no more records; its empty batches must answer the request,
     * or its heap stays held and its checkpoint stands still.
     */
    @Test
    void anIdleShardFlushesWhenTheMemoryBudgetAsksItAndItsCheckpointMoves() {
        BufferLimits limits = new BufferLimits(1 << 30, 1_000, Long.MAX_VALUE / 4); // neither size nor age seals
        String idle = "shardId-000000000001";
        String busy = "shardId-000000000002";
        // Heap each shard's open file holds after its 9 records (the budget hears of a file at its
        // 1st and 9th record): the idle shard's records are the larger ones.
        long idleHeap = heapAfter(limits, idle, 9, 4_000);
        long busyHeap = heapAfter(limits, busy, 9, 1_000);
        long busyFirstHeap = heapAfter(limits, busy, 1, 1_000); // an open file's fixed heap and one record
        assertThat(busyHeap).isLessThan(idleHeap);
        // Over the cap only with both, from the busy shard's 9th record on: then the idle shard's
        // file is the largest and asked to flush (and the busy one is not, as the budget hears no more).
        MemoryBudget budget = new MemoryBudget(idleHeap + (busyFirstHeap + busyHeap) / 2);
        PipelineContext ctx = context(new LocalDirectoryStore(lake), limits, budget);
        ShardSession idleShard = session(ctx, idle);
        ShardSession busyShard = session(ctx, busy);
        List<String> idleCheckpoints = new ArrayList<>();

        idleShard.process(paddedRecords(idle, 9, 4_000), new RecordingCheckpointer(idleCheckpoints));
        assertThat(budget.usedBytes()).as("the idle shard alone stays under the cap").isLessThan(budget.capBytes());
        busyShard.process(paddedRecords(busy, 9, 1_000), checkpointer);
        assertThat(budget.usedBytes()).as("both shards' files").isGreaterThan(budget.capBytes());
        assertThat(idleCheckpoints).isEmpty();

        idleShard.process(List.of(), new RecordingCheckpointer(idleCheckpoints)); // an empty batch: KCL's call to a quiet shard

        assertThat(idleCheckpoints).as("the idle shard's records were flushed and checkpointed").containsExactly("9");
        assertThat(budget.usedBytes()).as("only the busy shard's file holds heap").isLessThan(budget.capBytes());
        assertThat(rowsBySequence()).as("the idle shard's rows in the lake").containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(fatal).isEmpty();
    }

    /** What the memory budget holds after {@code count} padded records of {@code shard}, with no cap. */
    private long heapAfter(BufferLimits limits, String shard, int count, int padding) {
        MemoryBudget unlimited = MemoryBudget.unlimited();
        ShardSession s = session(context(new LocalDirectoryStore(lake), limits, unlimited), shard);
        s.process(paddedRecords(shard, count, padding), checkpointer);
        long held = unlimited.usedBytes();
        s.leaseLost(); // throws the measuring file away
        return held;
    }

    /** Records 1..count of {@code shard}, in hour 08, each with a distinct attribute of {@code padding} characters. */
    private static List<SourceRecord> paddedRecords(String shard, int count, int padding) {
        List<SourceRecord> list = new ArrayList<>();
        for (long seq = 1; seq <= count; seq++) {
            StringBuilder note = new StringBuilder(padding);
            for (int i = 0; i < padding; i++) {
                note.append((char) ('a' + (seq * 7 + i * 13) % 26));
            }
            String json = "{\"eventID\":\"" + shard + "-" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"table1\","
                    + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0 / 1000 + seq)
                    + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + seq
                    + "\"},\"note\":{\"S\":\"" + note + "\"}}},\"eventSource\":\"aws:dynamodb\"}";
            list.add(SourceRecord.of(shard, SequenceNumber.of(seq), T0 + seq * 1_000_000L,
                    json.getBytes(StandardCharsets.UTF_8)));
        }
        return list;
    }

    @Test
    void leaseLostDropsBuffersWithoutCheckpointOrUpload() throws IOException {
        ShardSession s = session(context(new LocalDirectoryStore(lake), BufferLimits.defaults()));
        s.process(records(1, 5), checkpointer);
        s.leaseLost();
        assertThat(checkpoints).isEmpty();
        try (var files = Files.walk(lake)) {
            assertThat(files.filter(p -> p.toString().endsWith(".parquet")).count()).isZero();
        }
        try (var files = Files.list(spool)) {
            assertThat(files.count()).as("spool files deleted").isZero();
        }
    }

    @Test
    void shardEndFlushesThenCheckpointsShardEnd() throws Exception {
        ShardSession s = session(context(new LocalDirectoryStore(lake), BufferLimits.defaults()));
        s.process(records(1, 9), checkpointer);
        s.shardEnded(checkpointer, Duration.ofSeconds(10));
        assertThat(checkpoints).containsExactly("SHARD_END");
        assertThat(rowsBySequence()).hasSize(9);
    }

    @Test
    void shardEndIsRefusedWhenUploadsFail() {
        ObjectStore failing = new FailingStore(new LocalDirectoryStore(lake), key -> true);
        ShardSession s = session(context(failing, BufferLimits.defaults()));
        s.process(records(1, 3), checkpointer);
        assertThatThrownBy(() -> s.shardEnded(checkpointer, Duration.ofSeconds(5))).isInstanceOf(CheckpointException.class);
        assertThat(checkpoints).isEmpty();
    }

    private List<Long> rowsBySequence() {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            try (var files = Files.walk(lake)) {
                if (files.noneMatch(p -> p.toString().endsWith(".parquet"))) {
                    return List.of();
                }
            }
            ResultSet rs = st.executeQuery("SELECT CAST(sequence_number AS BIGINT) AS s FROM read_parquet('"
                    + lake + "/**/*.parquet') ORDER BY s");
            List<Long> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Our own ObjectStore interface with puts failing for chosen keys (S3 failures are tested against S3Proxy). */
    private static final class FailingStore extends ForwardingStore {
        private final Predicate<String> fails;

        FailingStore(ObjectStore delegate, Predicate<String> fails) {
            super(delegate);
            this.fails = fails;
        }

        @Override
        public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
            return fails.test(key) ? CompletableFuture.failedFuture(new IOException("injected failure for " + key))
                    : delegate.put(file, key, contentType);
        }

        @Override
        public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                     Map<String, String> metadata) {
            return fails.test(key) ? CompletableFuture.failedFuture(new IOException("injected failure for " + key))
                    : delegate.putIfAbsent(file, key, contentType, metadata);
        }

        @Override
        public void close() {
        }
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant i) {
            now = i;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
