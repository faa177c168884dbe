package io.lakehose.replay;

import io.lakehose.testing.Await;
import io.lakehose.testing.CommandRun;
import static io.lakehose.testing.Await.join;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.encode.RowEncoders;
import io.lakehose.kcl.KinesisWorker;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code lakehose replay} against kinesis-local, DynamoDB Local and S3Proxy with real in-process
 * workers: the effectively-once guarantee holds across a replay (every record once in the lake,
 * read back with DuckDB, and the re-read records counted as skipped), the refusal while a worker
 * is live, --force (also while the worker renews the leases it read), --dry-run, the AT_TIMESTAMP
 * and sequence-number targets, resharding, which deleted objects a replay writes again, and the
 * one-line errors.
 */
class ReplayCommandTest {

    /**
     * Time let pass before and after taking the AT_TIMESTAMP instant: the test is that the
     * instant falls between two batches' arrival times, which the emulator stamps with its own
     * clock; the margin keeps the instant clear of both batches.
     */
    private static final long ARRIVAL_GAP_MILLIS = 1_500;

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @TempDir
    Path tmp;

    @Test
    void replayToTrimHorizonRereadsEverythingWithoutDuplicatingARow() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-th", 2);
        List<String> put = h.put(changes(0, 400));
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        assertThat(runToCheckpoints(h, atEnd).records.sum()).isEqualTo(400);

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        for (Map.Entry<String, String> shard : atEnd.entrySet()) {
            assertThat(replay.outLines()).contains(shard.getKey() + ": " + shard.getValue() + " -> TRIM_HORIZON");
        }
        assertThat(replay.out).contains("replayed to TRIM_HORIZON: 2 leases reset, 0 created, 0 unchanged");
        assertThat(h.checkpoints()).containsOnlyKeys(atEnd.keySet()).allSatisfy((k, v) -> assertThat(v).isEqualTo("TRIM_HORIZON"));
        assertThat(leases(h).values()).as("owners removed, so a new worker takes the leases at once")
                .allSatisfy(item -> assertThat(item).doesNotContainKey("leaseOwner"));

        PipelineStats again = runToCheckpoints(h, atEnd);
        assertThat(again.records.sum()).as("records read again").isEqualTo(400);
        assertThat(again.skipped.sum()).as("records skipped as already in the lake").isEqualTo(400);
        assertThat(again.rows.sum()).as("rows written by the replayed run").isZero();
        assertExactlyOnce(h, put);
        assertThat(h.checkpoints()).isEqualTo(atEnd);
    }

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
    void replayReWritesAShardsDeletedLastObjectButNotADeletedObjectBelowItsNewest() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-deleted", 2);
        String hour = h.stream() + "/table=orders/dt=2024-11-25/hour=08";
        List<String> put = new ArrayList<>();
        // Three batches in one hour partition, each committed before the next is put: every shard's
        // chain of objects there has at least three links.
        try (RunningWorker worker = new RunningWorker(h)) {
            for (int batch = 0; batch < 3; batch++) {
                put.addAll(h.put(changes(100 + 60 * batch, 60)));
                worker.awaitCheckpoints(WorkerHarness.lastSequenceByShard(put), c -> { });
            }
        }
        // The README's layout: <directory>/<stream>~<shard>~<first record, base 36, 37 characters>.parquet
        Pattern layout = Pattern.compile(Pattern.quote(hour + "/" + h.stream() + "~")
                + "(shardId-\\d+)~[0-9a-z]{37}\\.parquet");
        Map<String, List<String>> chains = new TreeMap<>();
        for (S3Object o : aws.s3().client().listObjectsV2Paginator(b -> b.bucket(aws.s3().bucket())
                .prefix(hour + "/")).contents()) {
            Matcher m = layout.matcher(o.key());
            assertThat(m.matches()).as("layout of %s", o.key()).isTrue();
            chains.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(o.key());
        }
        chains.values().forEach(Collections::sort);
        assertThat(chains).hasSize(2).allSatisfy((shard, keys) -> assertThat(keys).hasSizeGreaterThanOrEqualTo(3));
        String middleShard = chains.keySet().stream().findFirst().orElseThrow();
        String lastShard = chains.keySet().stream().skip(1).findFirst().orElseThrow();
        String middle = chains.get(middleShard).get(1);
        String last = chains.get(lastShard).get(chains.get(lastShard).size() - 1);
        List<String> inMiddle = recordsOf(h, hour, middleShard, middle, put);
        List<String> inLast = recordsOf(h, hour, lastShard, last, put);
        assertThat(inMiddle).isNotEmpty();
        assertThat(inLast).isNotEmpty();
        Map<String, String> lastMetadata = metadata(last);
        for (String key : List.of(middle, last)) {
            aws.s3().client().deleteObject(b -> b.bucket(aws.s3().bucket()).key(key));
        }

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        PipelineStats again = runToCheckpoints(h, WorkerHarness.lastSequenceByShard(put));

        assertThat(again.rows.sum()).as("rows written again: the deleted last object's").isEqualTo(inLast.size());
        assertThat(again.skipped.sum()).isEqualTo(put.size() - inLast.size());
        assertThat(metadata(last)).as("the last object is back under its key, with its range")
                .containsEntry("lakehose-last", lastMetadata.get("lakehose-last"));
        assertThat(aws.s3().client().listObjectsV2(b -> b.bucket(aws.s3().bucket()).prefix(middle)).contents())
                .as("a deleted object below the shard's newest in its directory is not restored").isEmpty();
        List<String> expected = new ArrayList<>(put);
        expected.removeAll(inMiddle);
        List<String> rows = h.rowsNow();
        assertThat(rows).doesNotHaveDuplicates();
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(expected));
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-dry", 2);
        Map<String, Map<String, AttributeValue>> before = leases(h);

        CommandRun dry = replay(h, "--to", "LATEST", "--dry-run");
        assertThat(dry.exit).as(dry.err).isZero();
        for (String shard : before.keySet()) {
            assertThat(dry.outLines()).contains(shard + ": TRIM_HORIZON -> LATEST");
        }
        assertThat(dry.outLines()).last().asString().startsWith("dry run, nothing written").contains("would reset 2 leases");
        assertThat(leases(h)).as("lease items after a dry run").isEqualTo(before);

        // The same without --dry-run does what the plan said.
        CommandRun real = replay(h, "--to", "LATEST");
        assertThat(real.exit).as(real.err).isZero();
        assertThat(h.checkpoints()).containsOnlyKeys(before.keySet()).allSatisfy((k, v) -> assertThat(v).isEqualTo("LATEST"));
    }

    @Test
    void atTimestampAndSequenceNumberTargetsReReadExactlyWhatFollows() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-at", 2);
        AroundAnInstant batches = putAroundAnInstant(h);
        List<String> put = batches.all();
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        runToCheckpoints(h, atEnd);

        // AT_TIMESTAMP: each shard's checkpoint is the last record that arrived before the instant.
        CommandRun at = replay(h, "--to", "AT_TIMESTAMP=" + batches.between());
        assertThat(at.exit).as(at.err).isZero();
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(batches.early()));
        PipelineStats afterTimestamp = runToCheckpoints(h, atEnd);
        assertThat(afterTimestamp.records.sum()).as("records read again: those put after the instant").isEqualTo(100);
        assertThat(afterTimestamp.skipped.sum()).isEqualTo(100);

        // A sequence number: that shard resumes after it, the other keeps its checkpoint.
        String[] from = batches.early().get(10).split("/");
        long after = put.stream().map(p -> p.split("/"))
                .filter(p -> p[0].equals(from[0]) && new BigInteger(p[1]).compareTo(new BigInteger(from[1])) > 0).count();
        CommandRun seq = replay(h, "--shard", from[0], "--to", from[1]);
        assertThat(seq.exit).as(seq.err).isZero();
        assertThat(seq.outLines()).contains(from[0] + ": " + atEnd.get(from[0]) + " -> " + from[1]);
        Map<String, String> expected = new HashMap<>(atEnd);
        expected.put(from[0], from[1]);
        assertThat(h.checkpoints()).isEqualTo(expected);
        PipelineStats afterSequence = runToCheckpoints(h, atEnd);
        assertThat(afterSequence.records.sum()).as("records after " + from[1] + " in " + from[0]).isEqualTo(after);
        assertThat(afterSequence.skipped.sum()).isEqualTo(after);
        assertExactlyOnce(h, put);
    }

    @Test
    void afterASplitParentsAreReadAgainBeforeTheirChildren() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-split", 2);
        List<String> put = new ArrayList<>(h.put(changes(0, 200)));
        List<Shard> parents = shards(h.stream());
        for (Shard p : parents) {
            String mid = new BigInteger(p.hashKeyRange().startingHashKey())
                    .add(new BigInteger(p.hashKeyRange().endingHashKey())).shiftRight(1).toString();
            join(aws.kinesis().client().splitShard(b -> b.streamName(h.stream()).shardToSplit(p.shardId())
                    .newStartingHashKey(mid)));
            aws.kinesis().awaitActive(h.stream());
        }
        List<String> children = shards(h.stream()).stream().map(Shard::shardId)
                .filter(id -> parents.stream().noneMatch(p -> p.shardId().equals(id))).toList();
        assertThat(children).hasSize(4);
        put.addAll(h.put(changes(200, 200)));
        Map<String, String> atEnd = new HashMap<>(WorkerHarness.lastSequenceByShard(put));
        parents.forEach(p -> atEnd.put(p.shardId(), "SHARD_END"));
        assertThat(atEnd.keySet()).as("every child got records").containsAll(children);
        runToCheckpoints(h, atEnd);

        // KCL deletes a finished parent's lease some minutes after its children started: do that now to one.
        String cleanedUp = parents.get(0).shardId();
        String ended = parents.get(1).shardId();
        join(aws.dynamoDb().client().deleteItem(b -> b.tableName(h.application())
                .key(Map.of("leaseKey", AttributeValue.fromS(cleanedUp)))));

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        assertThat(replay.outLines()).contains(cleanedUp + ": (no lease) -> TRIM_HORIZON  (new lease)",
                ended + ": SHARD_END -> TRIM_HORIZON");
        List<String> printed = replay.outLines().stream().map(l -> l.split(":")[0]).toList();
        for (Shard p : parents) {
            assertThat(printed.indexOf(p.shardId())).as("parents first").isLessThan(printed.indexOf(childOf(p, h)));
        }
        assertThat(h.checkpoints()).containsOnlyKeys(atEnd.keySet())
                .allSatisfy((k, v) -> assertThat(v).isEqualTo("TRIM_HORIZON"));

        // While the worker re-reads, no child moves off TRIM_HORIZON before its parent shows SHARD_END.
        Map<String, Integer> parentEnded = new TreeMap<>();
        Map<String, Integer> childStarted = new TreeMap<>();
        int[] poll = {0};
        PipelineStats again = runToCheckpoints(h, atEnd, checkpoints -> {
            poll[0]++;
            checkpoints.forEach((shard, cp) -> {
                if (parents.stream().anyMatch(p -> p.shardId().equals(shard)) && cp.equals("SHARD_END")) {
                    parentEnded.putIfAbsent(shard, poll[0]);
                } else if (children.contains(shard) && !cp.equals("TRIM_HORIZON")) {
                    childStarted.putIfAbsent(shard, poll[0]);
                }
            });
        });
        Map<String, List<String>> parentsOf = new HashMap<>();
        for (Shard s : shards(h.stream())) {
            parentsOf.put(s.shardId(), s.parentShardId() == null ? List.of() : List.of(s.parentShardId()));
        }
        for (String child : children) {
            String parent = parentsOf.get(child).get(0);
            assertThat(parentEnded).containsKey(parent);
            assertThat(childStarted.get(child)).as("poll at which " + child + " started, after " + parent + " ended")
                    .isGreaterThanOrEqualTo(parentEnded.get(parent));
        }
        assertThat(again.records.sum()).isEqualTo(400);
        assertThat(again.skipped.sum()).isEqualTo(400);
        assertExactlyOnce(h, put);
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

    @Test
    void badArgumentsAreOneLineErrors() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-bad", 2);
        List<String> put = h.put(changes(0, 20));
        Map<String, Map<String, AttributeValue>> before = leases(h);
        List<String> shardIds = new ArrayList<>(before.keySet());
        String[] record = put.get(0).split("/");
        String otherShard = shardIds.stream().filter(s -> !s.equals(record[0])).findFirst().orElseThrow();

        assertOneLineError(replay(h, "--to", "yesterday"), 2).contains("--to must be TRIM_HORIZON, LATEST, AT_TIMESTAMP=",
                "'yesterday'");
        assertOneLineError(replay(h, "--to", "AT_TIMESTAMP=25/11/2024"), 2).contains("ISO-8601", "25/11/2024");
        assertOneLineError(replay(h, "--to", "AT_TIMESTAMP=2999-01-01T00:00:00Z"), 2).contains("in the future");
        assertOneLineError(replay(h, "--shard", "shardId-000000000099", "--to", "TRIM_HORIZON"), 2)
                .contains("unknown --shard shardId-000000000099", shardIds.get(0));
        assertOneLineError(replay(h, "--to", record[1]), 2).contains("exactly one --shard");
        assertOneLineError(replay(h, "--shard", otherShard, "--to", record[1]), 2)
                .contains(record[1], "is not", otherShard);
        assertOneLineError(replay(h, Map.of("kinesis.applicationName", "no-such-app"), "--to", "LATEST"), 2)
                .contains("lease table no-such-app does not exist");
        assertThat(leases(h)).as("nothing written by a failed replay").isEqualTo(before);
    }

    // ---------------------------------------------------------------- helpers

    /** {@code real}, with {@code before} run before every call of the methods named {@code method}. */
    @SuppressWarnings("unchecked")
    private static <T> T beforeEachCall(Class<T> type, T real, String method, Runnable before) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (m.getName().equals(method)) {
                before.run();
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private Replay replayWith(WorkerHarness h, DynamoDbAsyncClient dynamo, ByteArrayOutputStream err) {
        return new Replay(new LeaseTable(dynamo, h.application()), new StreamShards(aws.kinesis().client(), h.stream()),
                Duration.ofMillis(3000), Clock.systemUTC(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, UTF_8));
    }

    /** The records put ("shard/sequence") that the object under {@code key} holds: its start to its lakehose-last. */
    private static List<String> recordsOf(WorkerHarness h, String directory, String shard, String key, List<String> put) {
        BigInteger first = new BigInteger(new ObjectNames(h.stream(), shard).startOf(directory, key).orElseThrow().digits());
        BigInteger last = new BigInteger(SequenceNumber.parse(metadata(key).get("lakehose-last")).digits());
        return put.stream().filter(p -> p.startsWith(shard + "/")).filter(p -> {
            BigInteger seq = new BigInteger(p.substring(shard.length() + 1));
            return seq.compareTo(first) >= 0 && seq.compareTo(last) <= 0;
        }).toList();
    }

    private static Map<String, String> metadata(String key) {
        return aws.s3().client().headObject(b -> b.bucket(aws.s3().bucket()).key(key)).metadata();
    }

    private static Map<String, Long> counters(WorkerHarness h) {
        Map<String, Long> counters = new TreeMap<>();
        leases(h).forEach((shard, item) -> counters.put(shard, Long.parseLong(item.get("leaseCounter").n())));
        return counters;
    }

    /** Two batches of 100 changes put {@link #ARRIVAL_GAP_MILLIS} before and after the instant {@code between}. */
    private record AroundAnInstant(List<String> early, Instant between, List<String> late) {
        List<String> all() {
            List<String> all = new ArrayList<>(early);
            all.addAll(late);
            return all;
        }
    }

    private static AroundAnInstant putAroundAnInstant(WorkerHarness h) throws InterruptedException {
        List<String> early = h.put(changes(0, 100));
        Thread.sleep(ARRIVAL_GAP_MILLIS);
        Instant between = Instant.now();
        Thread.sleep(ARRIVAL_GAP_MILLIS);
        return new AroundAnInstant(early, between, h.put(changes(100, 100)));
    }

    private static List<byte[]> changes(int from, int count) {
        List<byte[]> records = new ArrayList<>();
        Instant t0 = Instant.parse("2024-11-25T07:50:00Z");
        for (int i = from; i < from + count; i++) {
            records.add(WorkerHarness.change(i, t0.plusSeconds(i * 10L))); // two hour partitions
        }
        return records;
    }

    private void assertExactlyOnce(WorkerHarness h, List<String> put) {
        List<String> rows = h.rowsNow();
        assertThat(rows).as("rows in the lake (DuckDB)").hasSize(put.size()).doesNotHaveDuplicates();
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(put));
    }

    private static Map<String, Map<String, AttributeValue>> leases(WorkerHarness h) {
        return LeaseTableSeeder.leases(aws.dynamoDb().client(), h.application());
    }

    private static List<Shard> shards(String stream) {
        return join(aws.kinesis().client().listShards(b -> b.streamName(stream))).shards();
    }

    private static String childOf(Shard parent, WorkerHarness h) {
        return shards(h.stream()).stream().filter(s -> parent.shardId().equals(s.parentShardId()))
                .map(Shard::shardId).findFirst().orElseThrow();
    }

    private PipelineStats runToCheckpoints(WorkerHarness h, Map<String, String> expected) throws Exception {
        return runToCheckpoints(h, expected, c -> { });
    }

    /** Runs a worker until the lease table shows {@code expected}, then stops it gracefully. */
    private PipelineStats runToCheckpoints(WorkerHarness h, Map<String, String> expected,
            Consumer<Map<String, String>> onPoll) throws Exception {
        try (RunningWorker worker = new RunningWorker(h)) {
            worker.awaitCheckpoints(expected, onPoll);
            return worker.stats;
        }
    }

    /** An in-process worker on the harness's stream; close() stops it and checks it exited 0. */
    private final class RunningWorker implements AutoCloseable {
        final PipelineStats stats = new PipelineStats();
        private final WorkerHarness h;
        private final S3ObjectStore store;
        private final KinesisWorker worker;
        private final CompletableFuture<Integer> run;

        RunningWorker(WorkerHarness h) throws Exception {
            this.h = h;
            // The records are put before the worker starts: a shard's last file is sealed by age,
            // so a short age is the worker's time to its checkpoints (3 s would add 2 s per run).
            LakehoseConfig cfg = h.loadConfig(Map.of("buffer.maxAgeSeconds", "1"));
            store = new S3ObjectStore(cfg.s3Settings(aws.s3().bucket()));
            PipelineContext ctx = Pipelines.context(cfg, store, Files.createTempDirectory(tmp, "spool"),
                    RowEncoders.envelopeOnly(), stats, false);
            worker = new KinesisWorker(cfg, ctx, Clock.systemUTC());
            run = WorkerHarness.runAsync(worker);
        }

        void awaitCheckpoints(Map<String, String> expected, Consumer<Map<String, String>> onPoll) throws Exception {
            awaitCheckpoints(expected, onPoll, () -> true);
        }

        void awaitCheckpoints(Map<String, String> expected, Consumer<Map<String, String>> onPoll,
                BooleanSupplier also) throws Exception {
            AtomicReference<Map<String, String>> checkpoints = new AtomicReference<>();
            Await.until(() -> "checkpoints " + checkpoints.get() + " not " + expected + "; " + stats.summary(),
                    Duration.ofSeconds(120), Duration.ofMillis(100), () -> {
                        checkpoints.set(h.checkpoints());
                        onPoll.accept(checkpoints.get());
                        return checkpoints.get().equals(expected) && also.getAsBoolean();
                    });
        }

        @Override
        public void close() throws Exception {
            try {
                worker.shutdown();
                assertThat(run.get(60, TimeUnit.SECONDS)).as("worker exit code").isZero();
            } finally {
                store.close();
            }
        }
    }

    private CommandRun replay(WorkerHarness h, String... args) {
        return replay(h, Map.of(), args);
    }

    private CommandRun replay(WorkerHarness h, Map<String, String> configOverrides, String... args) {
        Path config = h.writeConfig(tmp.resolve("lakehose-" + System.nanoTime() + ".yaml"), configOverrides);
        List<String> all = new ArrayList<>(List.of("replay", "--config", config.toString()));
        all.addAll(Arrays.asList(args));
        return CommandRun.of(all.toArray(String[]::new));
    }

    private static AbstractStringAssert<?> assertOneLineError(CommandRun run, int exit) {
        assertThat(run.exit).as(run.err).isEqualTo(exit);
        List<String> lines = run.errLines();
        assertThat(lines).as("stderr must be one line:%n%s", run.err).hasSize(1);
        assertThat(run.out).isEmpty();
        return assertThat(lines.get(0)).startsWith("error:").doesNotContain("at io.", "\tat ", "Exception");
    }

}
