package io.lakehose.kcl;

import static io.lakehose.testing.Await.join;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resharding under load with one in-process worker: a shard is split (or the stream scaled from
 * 2 to 4 shards) while a producer keeps putting records, and the worker must end the parents and
 * carry on with the children without losing or repeating a record (docs/design.md, "Shard lifecycle":
 * on shard end, flush and commit everything, then checkpoint SHARD_END).
 *
 * <p>The checkpoint rule is checked at the moment it matters: as soon as a parent's lease shows
 * SHARD_END, every record put to that parent must already be in the lake, because KCL starts the
 * children (possibly on another worker) once it sees that checkpoint.
 *
 * <p>Then the worker must stop gracefully and promptly although it still holds the parents'
 * finished leases (KCL keeps them until its lease cleanup deletes them, minutes later).
 *
 * <p>Timing measured on a 2-core machine, after the reshard: parents at SHARD_END in 0.7-1.6 s;
 * children started in 2.7-8.8 s, because KCL's lease taker runs every 2 x (failoverTimeMillis +
 * 25 ms), about 6 s with the harness's 3 s; every checkpoint in 6-12 s. The coordinator's
 * {@code parentShardPollIntervalMillis} (10 s, not configurable through lakehose) only adds to
 * that when a child lease is taken before its parent's SHARD_END checkpoint (not seen here: KCL
 * logged "No need to block on parents"). About 15-25 s per test, 60 s for the class.
 */
class ReshardingTest {

    private static final Logger LOG = LoggerFactory.getLogger(ReshardingTest.class);
    private static final String SHARD_END = "SHARD_END";
    /**
     * Period of the watch during the reshard: a bounded condition wait (75 s) that also acts on
     * every tick (notes when parents end and children start, stops the producer), so it keeps
     * its own loop instead of {@link Await#until}.
     */
    private static final long WATCH_TICK_MILLIS = 100;

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @TempDir
    Path tmp;

    @Test
    void splittingAShardWhileRecordsFlowLosesAndRepeatsNothing() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "split", 2);
        Shard parent = shards(h.stream()).get(0);
        BigInteger from = new BigInteger(parent.hashKeyRange().startingHashKey());
        BigInteger to = new BigInteger(parent.hashKeyRange().endingHashKey());
        String midpoint = from.add(to).shiftRight(1).toString();

        runReshardingScenario(h, Set.of(parent.shardId()), kinesis -> {
            join(kinesis.splitShard(b -> b.streamName(h.stream()).shardToSplit(parent.shardId())
                    .newStartingHashKey(midpoint)));
            aws.kinesis().awaitActive(h.stream());
        });
    }

    @Test
    void scalingFromTwoToFourShardsWhileRecordsFlowLosesAndRepeatsNothing() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "scale", 2);
        Set<String> parents = new HashSet<>();
        shards(h.stream()).forEach(s -> parents.add(s.shardId()));

        runReshardingScenario(h, parents, kinesis -> {
            join(kinesis.updateShardCount(b -> b.streamName(h.stream()).targetShardCount(4)
                    .scalingType(ScalingType.UNIFORM_SCALING)));
            aws.kinesis().awaitActive(h.stream());
        });
    }

    /**
     * A graceful stop (what SIGTERM starts) of a worker that ended a parent shard itself: every
     * record its children hold in buffers is uploaded and checkpointed, well within the budget,
     * although KCL still counts the finished parent's lease. Issue #14 reported such workers
     * taking the whole budget, their shards' flushes waiting while S3 was idle; here, in one
     * process or as two worker processes through split, merge and split, they stop in 1-5 s.
     */
    @Test
    void aStopAfterTheWorkerEndedAParentUploadsAndCheckpointsTheChildrensBuffersWithinTheBudget() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "stop-after-split", 1);
        Shard parent = shards(h.stream()).get(0);
        // Neither age nor size finishes a file: only shard end and the stop upload anything.
        LakehoseConfig cfg = h.loadConfig(Map.of("buffer.maxAgeSeconds", "600", "buffer.maxRecords", "1000000",
                "kinesis.shutdownBudgetSeconds", "20"));
        PipelineStats stats = new PipelineStats();
        Producer producer = new Producer(h.stream());
        Thread producing = new Thread(producer, "producer");
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.stack().s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool")),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            boolean stopped = false;
            try {
                producing.start();
                awaitOrFail(60, "records of the parent received", () -> stats.records.sum() > 0);
                BigInteger from = new BigInteger(parent.hashKeyRange().startingHashKey());
                BigInteger to = new BigInteger(parent.hashKeyRange().endingHashKey());
                join(aws.kinesis().client().splitShard(b -> b.streamName(h.stream()).shardToSplit(parent.shardId())
                        .newStartingHashKey(from.add(to).shiftRight(1).toString())));
                aws.kinesis().awaitActive(h.stream());
                Set<String> children = new TreeSet<>();
                shards(h.stream()).stream().filter(s -> isChildOf(s, Set.of(parent.shardId())))
                        .forEach(s -> children.add(s.shardId()));
                awaitOrFail(60, "the parent ended by this worker", () -> SHARD_END.equals(h.checkpoints().get(parent.shardId())));
                awaitOrFail(60, "both children read by this worker, with records put to each",
                        () -> worker.leases().millisBehindLatest().keySet().containsAll(children)
                                && producer.shardsWritten().containsAll(children));
                producer.stop();
                producing.join(10_000);
                producer.rethrow();
                List<String> put = producer.put();
                awaitOrFail(60, "every record put received", () -> stats.records.sum() >= put.size());
                assertThat(stats.bufferedRecords.sum()).as("records only the stop can upload").isPositive();

                long stopStart = System.nanoTime();
                worker.shutdown();
                int exit = run.get(60, TimeUnit.SECONDS);
                stopped = true;
                long stopMillis = (System.nanoTime() - stopStart) / 1_000_000;
                LOG.info("worker that ended {} stopped in {} ms; {}", parent.shardId(), stopMillis, stats.summary());

                assertThat(exit).as("exit code").isZero();
                assertThat(stopMillis).as("graceful stop after ending a parent (ms); budget is 20 s").isLessThan(10_000);
                Map<String, String> expected = new HashMap<>(WorkerHarness.lastSequenceByShard(put));
                expected.put(parent.shardId(), SHARD_END);
                assertThat(h.checkpoints()).as("every shard checkpointed to its last record").isEqualTo(expected);
                List<String> rows = h.rowsNow();
                assertThat(rows).hasSize(put.size()).doesNotHaveDuplicates();
                assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(put));
            } finally {
                producer.stop();
                if (!stopped) {
                    worker.shutdown();
                    run.handle((code, err) -> code).get(60, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * Starts a worker and a producer, reshards once the parents have checkpointed something (so
     * that shard end has to flush buffered records on top of uploaded ones), keeps producing into
     * the children, then waits for every checkpoint, stops the worker and checks the lake and the
     * lease table.
     */
    private void runReshardingScenario(WorkerHarness h, Set<String> parents, Consumer<KinesisAsyncClient> reshard)
            throws Exception {
        long t0 = System.nanoTime();
        LakehoseConfig cfg = h.loadConfig(Map.of("buffer.maxAgeSeconds", "2", "kinesis.shutdownBudgetSeconds", "10"));
        PipelineStats stats = new PipelineStats();
        Producer producer = new Producer(h.stream());
        Thread producing = new Thread(producer, "producer");
        Map<String, Long> parentEndedAt = new TreeMap<>();
        Map<String, Long> childStartedAt = new TreeMap<>();
        Set<String> children = new TreeSet<>();
        List<String> put = null;
        Map<String, String> expectedCheckpoints = null;
        long stopMillis;
        try (S3ObjectStore store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()))) {
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createDirectories(tmp.resolve("spool")),
                    RowEncoders.envelopeOnly(), stats, false);
            KinesisWorker worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            CompletableFuture<Integer> run = WorkerHarness.runAsync(worker);
            boolean stopped = false;
            try {
                producing.start();
                // Reshard only once every parent has uploaded and checkpointed part of its records.
                awaitOrFail(60, "every parent checkpointed a sequence number", () -> {
                    Map<String, String> cp = h.checkpoints();
                    return parents.stream().allMatch(p -> isSequence(cp.get(p)));
                });
                long reshardStart = System.nanoTime();
                reshard.accept(aws.kinesis().client());
                long reshardedAt = millisSince(t0);
                shards(h.stream()).stream().filter(s -> isChildOf(s, parents)).forEach(s -> children.add(s.shardId()));
                LOG.info("resharded in {} ms at t={} ms: {} -> {}", (System.nanoTime() - reshardStart) / 1_000_000,
                        reshardedAt, parents, children);
                assertThat(children).as("children of " + parents).isNotEmpty();

                // Keep putting until every child got records for 2 s, then wait for the checkpoints.
                // Meanwhile, the moment a parent's lease shows SHARD_END (when KCL may start the
                // children, possibly on another worker), the parent's records must all be in the lake.
                long stopProducingAt = Long.MAX_VALUE;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(75);
                Map<String, String> checkpoints = h.checkpoints();
                while (expectedCheckpoints == null || !checkpoints.equals(expectedCheckpoints)) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("checkpoints not reached within 75 s: " + checkpoints
                                + ", expected " + expectedCheckpoints);
                    }
                    for (String p : parents) {
                        if (SHARD_END.equals(checkpoints.get(p)) && !parentEndedAt.containsKey(p)) {
                            parentEndedAt.put(p, millisSince(t0) - reshardedAt);
                            List<String> lakeRows = rowsOfShard(h.rowsNow(), p);
                            assertThat(lakeRows).as("rows of %s once its lease showed SHARD_END", p)
                                    .doesNotHaveDuplicates()
                                    .containsExactlyInAnyOrderElementsOf(rowsOfShard(producer.put(), p));
                        }
                    }
                    for (String c : children) {
                        if (worker.leases().millisBehindLatest().containsKey(c)) {
                            childStartedAt.putIfAbsent(c, millisSince(t0) - reshardedAt);
                        }
                    }
                    if (stopProducingAt == Long.MAX_VALUE && producer.shardsWritten().containsAll(children)) {
                        stopProducingAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                    }
                    if (put == null && System.nanoTime() > stopProducingAt) {
                        producer.stop();
                        producing.join(10_000);
                        producer.rethrow();
                        put = producer.put();
                        expectedCheckpoints = new HashMap<>(WorkerHarness.lastSequenceByShard(put));
                        for (String p : parents) {
                            expectedCheckpoints.put(p, SHARD_END);
                        }
                        LOG.info("put {} records, the last {} ms after the reshard: {}", put.size(),
                                millisSince(t0) - reshardedAt, countByShard(put));
                    }
                    Thread.sleep(WATCH_TICK_MILLIS);
                    checkpoints = h.checkpoints();
                }
                LOG.info("after the reshard (ms): parents at SHARD_END {}; children started {}; every checkpoint {}",
                        parentEndedAt, childStartedAt, millisSince(t0) - reshardedAt);
                assertThat(parentEndedAt.keySet()).as("parents seen at SHARD_END (and the lake checked then)")
                        .isEqualTo(parents);

                long stopStart = System.nanoTime();
                worker.shutdown();
                int exit = run.get(60, TimeUnit.SECONDS);
                stopped = true;
                stopMillis = (System.nanoTime() - stopStart) / 1_000_000;
                LOG.info("worker stopped in {} ms (t={} ms); {}", stopMillis, millisSince(t0), stats.summary());
                assertThat(exit).as("exit code").isZero();
            } finally {
                producer.stop();
                if (!stopped) {
                    worker.shutdown();
                    run.handle((code, err) -> code).get(60, TimeUnit.SECONDS);
                }
            }
        }

        // Exactly once: every record put is one row, none twice, none re-read.
        List<String> rows = h.rowsNow();
        assertThat(rows).hasSize(put.size()).doesNotHaveDuplicates();
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(put));
        assertThat(stats.records.sum()).as("records consumed").isEqualTo(put.size());
        assertThat(stats.skipped.sum()).as("records skipped as already stored").isZero();
        assertThat(stats.errors.sum()).isZero();

        // The stop kept the checkpoints, and the children's leases name their parents.
        assertThat(h.checkpoints()).isEqualTo(expectedCheckpoints);
        Map<String, Map<String, AttributeValue>> leases = LeaseTableSeeder.leases(aws.dynamoDb().client(), h.application());
        for (String c : children) {
            assertThat(leases.get(c).get("parentShardId").ss()).as("parents of " + c)
                    .isNotEmpty().allMatch(parents::contains);
        }

        // A graceful stop must not wait out its budget because this worker still holds the
        // finished parents' leases (KCL keeps them until its lease cleanup, minutes later).
        assertThat(stopMillis).as("graceful stop after resharding (ms); budget is 10 s").isLessThan(10_000);
    }

    private static boolean isChildOf(Shard s, Set<String> parents) {
        return (s.parentShardId() != null && parents.contains(s.parentShardId()))
                || (s.adjacentParentShardId() != null && parents.contains(s.adjacentParentShardId()));
    }

    private static List<String> rowsOfShard(List<String> rows, String shardId) {
        return rows.stream().filter(r -> r.startsWith(shardId + "/")).toList();
    }

    private static Map<String, Integer> countByShard(List<String> put) {
        Map<String, Integer> n = new TreeMap<>();
        put.forEach(p -> n.merge(p.split("/")[0], 1, Integer::sum));
        return n;
    }

    private static boolean isSequence(String checkpoint) {
        return checkpoint != null && !checkpoint.isEmpty() && checkpoint.chars().allMatch(Character::isDigit);
    }

    private static List<Shard> shards(String stream) {
        return join(aws.kinesis().client().listShards(b -> b.streamName(stream))).shards();
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void awaitOrFail(int seconds, String what, Await.Condition condition) {
        Await.until(what, Duration.ofSeconds(seconds), Duration.ofMillis(100), condition);
    }

    /**
     * Puts small batches (about 400 records/s) with a fresh partition key per record, so that
     * records spread over the whole hash range and reach every shard, children included.
     */
    private static final class Producer implements Runnable {
        private static final int BATCH = 20;
        /** Pause after each batch: the test is records flowing at a steady rate while the stream reshards. */
        private static final long PACE_MILLIS = 50;

        private final String stream;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<String> put = Collections.synchronizedList(new ArrayList<>());
        private final Set<String> shards = Collections.synchronizedSet(new HashSet<>());
        private volatile Throwable failure;
        private long next;

        Producer(String stream) {
            this.stream = stream;
        }

        @Override
        public void run() {
            try {
                while (running.get()) {
                    List<PutRecordsRequestEntry> pending = new ArrayList<>(BATCH);
                    for (int i = 0; i < BATCH; i++, next++) {
                        pending.add(PutRecordsRequestEntry.builder()
                                .partitionKey("item-" + next)
                                .data(SdkBytes.fromByteArray(WorkerHarness.change(next, Instant.now())))
                                .build());
                    }
                    for (int attempt = 1; !pending.isEmpty(); attempt++) {
                        List<PutRecordsRequestEntry> entries = pending;
                        PutRecordsResponse response = join(aws.kinesis().client()
                                .putRecords(b -> b.streamName(stream).records(entries)));
                        List<PutRecordsRequestEntry> failed = new ArrayList<>();
                        for (int i = 0; i < entries.size(); i++) {
                            var r = response.records().get(i);
                            if (r.errorCode() == null) {
                                put.add(r.shardId() + "/" + r.sequenceNumber());
                                shards.add(r.shardId());
                            } else {
                                failed.add(entries.get(i));
                            }
                        }
                        if (!failed.isEmpty() && attempt >= 10) {
                            throw new IllegalStateException(failed.size() + " records still failing after 10 attempts");
                        }
                        pending = failed;
                    }
                    Thread.sleep(PACE_MILLIS);
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        void stop() {
            running.set(false);
        }

        List<String> put() {
            synchronized (put) {
                return List.copyOf(put);
            }
        }

        Set<String> shardsWritten() {
            synchronized (shards) {
                return Set.copyOf(shards);
            }
        }

        void rethrow() {
            if (failure != null) {
                throw new AssertionError("producer failed", failure);
            }
        }
    }
}
