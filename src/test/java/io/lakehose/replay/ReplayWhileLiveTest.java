package io.lakehose.replay;

import io.lakehose.testing.Await;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.WorkerHarness;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.lakehose.testing.Await.join;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code lakehose replay} while a worker holds the leases: refused without --force; with it, the
 * leases are taken over, also while the worker renews the leases the replay read; a lease
 * renewed after it was read fails the whole write.
 */
class ReplayWhileLiveTest extends ReplayTestBase {

    @Test
    void refusesWhileAWorkerHoldsTheLeasesAndForceTakesThemOver() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-live", 2);
        List<String> put = h.put(changes(0, 200));
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        try (RunningWorker worker = new RunningWorker(h)) {
            worker.awaitCheckpoints(atEnd, c -> { });

            CommandRun refused = replay(h, "--to", "TRIM_HORIZON");
            assertThat(refused.exit).isEqualTo(3);
            List<String> errors = refused.errLines().stream().filter(l -> l.startsWith("error:")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).contains("a live worker holds leases in " + h.application())
                    .contains(atEnd.keySet()).contains("stop the service", "--force");
            assertThat(refused.out).isEmpty();
            assertThat(h.checkpoints()).as("nothing written when refused").isEqualTo(atEnd);

            CommandRun forced = replay(h, "--to", "TRIM_HORIZON", "--force");
            assertThat(forced.exit).as(forced.err).isZero();
            assertThat(forced.out).contains("2 leases reset");
            // The worker loses the leases, takes them again and re-reads both shards from the start.
            worker.awaitCheckpoints(atEnd, c -> { }, () -> worker.stats.skipped.sum() == 200);
            assertThat(worker.stats.records.sum()).isEqualTo(400);
            assertThat(worker.stats.rows.sum()).isEqualTo(200);
        }
        assertExactlyOnce(h, put);
    }

    @Test
    void forceAtTimestampAgainstALiveWorkerReadsTheLeasesTheWorkerRenewedWhileThePositionsWereResolved()
            throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-live-at", 2);
        AroundAnInstant batches = putAroundAnInstant(h);
        List<String> put = batches.all();
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        try (RunningWorker worker = new RunningWorker(h)) {
            worker.awaitCheckpoints(atEnd, c -> { });

            // AT_TIMESTAMP reads the stream to find each shard's position; against Kinesis that takes
            // seconds, longer than the worker's renewal interval (failoverTimeMillis / 3, here 1 s).
            // Here the first read of the stream waits until the worker has renewed its leases, so
            // the counters read before it are stale for certain.
            AtomicBoolean waited = new AtomicBoolean();
            KinesisAsyncClient slowStream = beforeEachCall(KinesisAsyncClient.class, aws.kinesis().client(),
                    "getRecords", () -> {
                        if (waited.compareAndSet(false, true)) {
                            Map<String, Long> seen = counters(h);
                            Await.until("the worker renews its leases", Duration.ofSeconds(30), Duration.ofMillis(50), () -> counters(h).entrySet().stream()
                                    .allMatch(e -> e.getValue() > seen.get(e.getKey())));
                        }
                    });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Replay replay = new Replay(new LeaseTable(aws.dynamoDb().client(), h.application()),
                    new StreamShards(slowStream, h.stream()), Duration.ofMillis(3000), Clock.systemUTC(),
                    new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8));
            replay.run(new Replay.Request(new ReplayTarget.AtTimestamp(batches.between()), List.of(), false, true));

            assertThat(waited).as("the stream was read while the worker held the leases").isTrue();
            Map<String, String> earlyEnd = WorkerHarness.lastSequenceByShard(batches.early());
            for (String shard : atEnd.keySet()) {
                assertThat(out.toString(UTF_8)).contains(shard + ": " + atEnd.get(shard) + " -> " + earlyEnd.get(shard));
            }
            assertThat(out.toString(UTF_8)).contains("replayed to AT_TIMESTAMP=" + batches.between() + ": 2 leases reset");
            // The worker loses the leases, takes them again and re-reads the records put after the instant.
            worker.awaitCheckpoints(atEnd, c -> { }, () -> worker.stats.skipped.sum() == batches.late().size());
            assertThat(worker.stats.records.sum()).isEqualTo(put.size() + batches.late().size());
            assertThat(worker.stats.rows.sum()).isEqualTo(put.size());
        }
        assertExactlyOnce(h, put);
    }

    @Test
    void aForcedWriteReadsTheLeasesAgainWhenAWorkerRenewedThemAndGivesUpWithWhatToDo() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-retry", 2);
        String renewed = new TreeMap<>(leases(h)).firstKey();
        Runnable renewal = () -> join(aws.dynamoDb().client().updateItem(b -> b.tableName(h.application())
                .key(Map.of("leaseKey", AttributeValue.fromS(renewed)))
                .updateExpression("SET leaseCounter = leaseCounter + :one, leaseOwner = :w")
                .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"), ":w", AttributeValue.fromS("worker-x")))));

        // A live worker renews a lease between the replay's read and its first write: read again, written.
        AtomicInteger writes = new AtomicInteger();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Replay once = replayWith(h, beforeEachCall(DynamoDbAsyncClient.class, aws.dynamoDb().client(),
                "transactWriteItems", () -> {
                    if (writes.incrementAndGet() == 1) {
                        renewal.run();
                    }
                }), err);
        once.run(new Replay.Request(new ReplayTarget.Latest(), List.of(), false, true));
        assertThat(writes.get()).isEqualTo(2);
        assertThat(err.toString(UTF_8)).contains("the lease of " + renewed + " changed since it was read",
                "reading the leases again, attempt 2 of 5");
        assertThat(h.checkpoints()).allSatisfy((k, v) -> assertThat(v).isEqualTo("LATEST"));
        assertThat(leases(h).values()).allSatisfy(item -> assertThat(item).doesNotContainKey("leaseOwner"));

        // Without --force the same is a refusal: a worker started after the check for live workers.
        AtomicInteger unforced = new AtomicInteger();
        Replay refused = replayWith(h, beforeEachCall(DynamoDbAsyncClient.class, aws.dynamoDb().client(),
                "transactWriteItems", () -> {
                    unforced.incrementAndGet();
                    renewal.run();
                }), new ByteArrayOutputStream());
        assertThatThrownBy(() -> refused.run(new Replay.Request(new ReplayTarget.TrimHorizon(), List.of(), false, false)))
                .isInstanceOf(ReplayException.class).hasMessageContaining("the lease of " + renewed + " changed")
                .hasMessageContaining("stop the service").hasMessageContaining("--force")
                .satisfies(e -> assertThat(((ReplayException) e).kind()).isEqualTo(ReplayException.Kind.REFUSED));
        assertThat(unforced.get()).isEqualTo(1);

        // A worker that renews before every write: a bounded number of attempts, then what to do.
        AtomicInteger always = new AtomicInteger();
        Map<String, Map<String, AttributeValue>> before = leases(h);
        Replay givesUp = replayWith(h, beforeEachCall(DynamoDbAsyncClient.class, aws.dynamoDb().client(),
                "transactWriteItems", () -> {
                    always.incrementAndGet();
                    renewal.run();
                }), new ByteArrayOutputStream());
        long start = System.nanoTime();
        assertThatThrownBy(() -> givesUp.run(new Replay.Request(new ReplayTarget.TrimHorizon(), List.of(), false, true)))
                .isInstanceOf(ReplayException.class).hasMessageContaining("--force gave up after 5 attempts")
                .hasMessageContaining(renewed).hasMessageContaining("stop the service's workers (or wait")
                .satisfies(e -> assertThat(((ReplayException) e).kind()).isEqualTo(ReplayException.Kind.REFUSED));
        assertThat(always.get()).isEqualTo(5);
        assertThat(System.nanoTime() - start).as("backoff is short").isLessThan(TimeUnit.SECONDS.toNanos(10));
        assertThat(h.checkpoints()).as("nothing written").allSatisfy((k, v) -> assertThat(v).isEqualTo("LATEST"));
        assertThat(leases(h).keySet()).isEqualTo(before.keySet());
    }

    @Test
    void aLeaseRenewedAfterItWasReadFailsTheWholeWrite() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-race", 2);
        LeaseTable table = new LeaseTable(aws.dynamoDb().client(), h.application());
        List<Lease> read = table.read();
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.Latest(), read, List.of(
                new ShardInfo(read.get(0).shardId(), List.of(), "0", "1", "0", null),
                new ShardInfo(read.get(1).shardId(), List.of(), "0", "1", "0", null)), List.of(), s -> "LATEST");
        assertThat(plan.count(ReplayPlan.Action.RESET)).isEqualTo(2);
        // A worker renews the second lease between the read and the write (KCL increments leaseCounter).
        String renewed = read.get(1).shardId();
        join(aws.dynamoDb().client().updateItem(b -> b.tableName(h.application())
                .key(Map.of("leaseKey", AttributeValue.fromS(renewed)))
                .updateExpression("SET leaseCounter = leaseCounter + :one, leaseOwner = :w")
                .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"), ":w", AttributeValue.fromS("worker-x")))));
        Map<String, Map<String, AttributeValue>> before = leases(h);

        assertThatThrownBy(() -> table.write(plan.steps())).isInstanceOf(ReplayException.class)
                .hasMessageContaining("the lease of " + renewed + " changed since it was read")
                .satisfies(e -> assertThat(((ReplayException) e).kind()).isEqualTo(ReplayException.Kind.REFUSED));
        assertThat(leases(h)).as("neither lease written: one transaction").isEqualTo(before);
    }
}
