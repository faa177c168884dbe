package io.lakehose.replay;

import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.encode.RowEncoders;
import io.lakehose.kcl.KinesisWorker;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.Await;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalStackExtension;
import io.lakehose.testing.WorkerHarness;

import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.model.Shard;

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static io.lakehose.testing.Await.join;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the replay tests share: a local AWS stack per test class (kinesis-local, DynamoDB Local,
 * S3Proxy), in-process workers run to their checkpoints, the {@code replay} command run in
 * process, and the lake read back with DuckDB. The cases are split into classes by theme so
 * that the test JVMs run them side by side.
 */
abstract class ReplayTestBase {

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

    /** {@code real}, with {@code before} run before every call of the methods named {@code method}. */
    @SuppressWarnings("unchecked")
    static <T> T beforeEachCall(Class<T> type, T real, String method, Runnable before) {
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

    Replay replayWith(WorkerHarness h, DynamoDbAsyncClient dynamo, ByteArrayOutputStream err) {
        return new Replay(new LeaseTable(dynamo, h.application()), new StreamShards(aws.kinesis().client(), h.stream()),
                Duration.ofMillis(3000), Clock.systemUTC(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, UTF_8));
    }

    /** The records put ("shard/sequence") that the object under {@code key} holds: its start to its lakehose-last. */
    static List<String> recordsOf(WorkerHarness h, String directory, String shard, String key, List<String> put) {
        BigInteger first = new BigInteger(new ObjectNames(h.stream(), shard).startOf(directory, key).orElseThrow().digits());
        BigInteger last = new BigInteger(SequenceNumber.parse(metadata(key).get("lakehose-last")).digits());
        return put.stream().filter(p -> p.startsWith(shard + "/")).filter(p -> {
            BigInteger seq = new BigInteger(p.substring(shard.length() + 1));
            return seq.compareTo(first) >= 0 && seq.compareTo(last) <= 0;
        }).toList();
    }

    static Map<String, String> metadata(String key) {
        return aws.s3().client().headObject(b -> b.bucket(aws.s3().bucket()).key(key)).metadata();
    }

    static Map<String, Long> counters(WorkerHarness h) {
        Map<String, Long> counters = new TreeMap<>();
        leases(h).forEach((shard, item) -> counters.put(shard, Long.parseLong(item.get("leaseCounter").n())));
        return counters;
    }

    /** Two batches of 100 changes put {@link #ARRIVAL_GAP_MILLIS} before and after the instant {@code between}. */
    record AroundAnInstant(List<String> early, Instant between, List<String> late) {
        List<String> all() {
            List<String> all = new ArrayList<>(early);
            all.addAll(late);
            return all;
        }
    }

    static AroundAnInstant putAroundAnInstant(WorkerHarness h) throws InterruptedException {
        List<String> early = h.put(changes(0, 100));
        Thread.sleep(ARRIVAL_GAP_MILLIS);
        Instant between = Instant.now();
        Thread.sleep(ARRIVAL_GAP_MILLIS);
        return new AroundAnInstant(early, between, h.put(changes(100, 100)));
    }

    static List<byte[]> changes(int from, int count) {
        List<byte[]> records = new ArrayList<>();
        Instant t0 = Instant.parse("2024-11-25T07:50:00Z");
        for (int i = from; i < from + count; i++) {
            records.add(WorkerHarness.change(i, t0.plusSeconds(i * 10L))); // two hour partitions
        }
        return records;
    }

    void assertExactlyOnce(WorkerHarness h, List<String> put) {
        List<String> rows = h.rowsNow();
        assertThat(rows).as("rows in the lake (DuckDB)").hasSize(put.size()).doesNotHaveDuplicates();
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(put));
    }

    static Map<String, Map<String, AttributeValue>> leases(WorkerHarness h) {
        return LeaseTableSeeder.leases(aws.dynamoDb().client(), h.application());
    }

    static List<Shard> shards(String stream) {
        return join(aws.kinesis().client().listShards(b -> b.streamName(stream))).shards();
    }

    static String childOf(Shard parent, WorkerHarness h) {
        return shards(h.stream()).stream().filter(s -> parent.shardId().equals(s.parentShardId()))
                .map(Shard::shardId).findFirst().orElseThrow();
    }

    PipelineStats runToCheckpoints(WorkerHarness h, Map<String, String> expected) throws Exception {
        return runToCheckpoints(h, expected, c -> { });
    }

    /** Runs a worker until the lease table shows {@code expected}, then stops it gracefully. */
    PipelineStats runToCheckpoints(WorkerHarness h, Map<String, String> expected,
            Consumer<Map<String, String>> onPoll) throws Exception {
        try (RunningWorker worker = new RunningWorker(h)) {
            worker.awaitCheckpoints(expected, onPoll);
            return worker.stats;
        }
    }

    /** An in-process worker on the harness's stream; close() stops it and checks it exited 0. */
    final class RunningWorker implements AutoCloseable {
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

    CommandRun replay(WorkerHarness h, String... args) {
        return replay(h, Map.of(), args);
    }

    CommandRun replay(WorkerHarness h, Map<String, String> configOverrides, String... args) {
        Path config = h.writeConfig(tmp.resolve("lakehose-" + System.nanoTime() + ".yaml"), configOverrides);
        List<String> all = new ArrayList<>(List.of("replay", "--config", config.toString()));
        all.addAll(Arrays.asList(args));
        return CommandRun.of(all.toArray(String[]::new));
    }

    static AbstractStringAssert<?> assertOneLineError(CommandRun run, int exit) {
        assertThat(run.exit).as(run.err).isEqualTo(exit);
        List<String> lines = run.errLines();
        assertThat(lines).as("stderr must be one line:%n%s", run.err).hasSize(1);
        assertThat(run.out).isEmpty();
        return assertThat(lines.get(0)).startsWith("error:").doesNotContain("at io.", "\tat ", "Exception");
    }
}
