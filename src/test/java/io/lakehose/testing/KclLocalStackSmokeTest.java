package io.lakehose.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * Proof that KCL 2.7.2 consumes from the local stack: kinesis-local for Kinesis, DynamoDB Local
 * for the lease table, CloudWatch never called. The {@link #worker} method is the working
 * configuration to copy.
 *
 * <p>Measured on the 2-core machine: stack up in 0.6-2.8 s; with a seeded lease table the first
 * record arrives 0.7-1.3 s after the scheduler starts; with an empty one 5-26 s (KCL's random
 * wait), which is why tests should use {@link LeaseTableSeeder}. kinesis-local also handles
 * UpdateShardCount, SplitShard and MergeShards, and KCL follows the child shards (shardEnded on
 * the parent, leases for the children, nothing lost or repeated); that took 6-12 s per
 * resharding step with these settings, so it is not part of this smoke test.
 */
class KclLocalStackSmokeTest {

    private static final Logger log = LoggerFactory.getLogger(KclLocalStackSmokeTest.class);
    private static final int RECORDS = 200;

    @RegisterExtension
    static final LocalStackExtension aws = new LocalStackExtension();

    @BeforeAll
    static void up() {
        log.info("stack startup: {} ms", aws.stack().startup().toMillis());
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void seededLeaseTableDeliversEveryRecordOnceCheckpointsAndShutsDownGracefully() throws Exception {
        String stream = "smoke-seeded";
        aws.kinesis().createStream(stream, 2);
        List<PutRecordsResultEntry> sent = aws.kinesis().putRecords(stream, payloads());
        List<String> seeded = LeaseTableSeeder.seed(aws.dynamoDb().client(), stream + "-app",
                aws.kinesis().client(), stream, LeaseTableSeeder.StartAt.TRIM_HORIZON);
        assertThat(seeded).hasSize(2);

        try (Worker worker = worker(stream, stream + "-app")) {
            worker.awaitRecords(RECORDS, Duration.ofSeconds(25));
            log.info("seeded lease table: first record {} ms after scheduler start, all {} after {} ms",
                    worker.collector.firstRecordMillis(), RECORDS, worker.collector.allRecordsMillis());

            boolean done = worker.scheduler.startGracefulShutdown().get(20, TimeUnit.SECONDS);
            assertThat(done).as("graceful shutdown completed").isTrue();
            worker.awaitStopped(Duration.ofSeconds(10));

            Collector c = worker.collector;
            assertThat(c.shutdownRequested).containsExactlyInAnyOrderElementsOf(seeded);
            assertThat(c.checkpointFailures).isEmpty();
            assertThat(c.received.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            assertThat(c.received.keySet()).isEqualTo(keys(sent));
            assertThat(c.payloads).containsExactlyInAnyOrderElementsOf(
                    payloads().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
            log.info("millisBehindLatest seen: {}", c.millisBehindLatest);

            Map<String, String> lastSequenceByShard = new HashMap<>();
            sent.forEach(e -> lastSequenceByShard.merge(e.shardId(), e.sequenceNumber(),
                    (a, b) -> new BigInteger(a).compareTo(new BigInteger(b)) >= 0 ? a : b));
            Map<String, Map<String, AttributeValue>> leases =
                    LeaseTableSeeder.leases(aws.dynamoDb().client(), stream + "-app");
            assertThat(leases.keySet()).isEqualTo(lastSequenceByShard.keySet());
            lastSequenceByShard.forEach((shard, sequence) ->
                    assertThat(leases.get(shard).get("checkpoint").s()).as("checkpoint of " + shard).isEqualTo(sequence));
        }
    }

    /** Without seeding, KCL creates the leases itself, after waiting a random 1-30 s. */
    @Test
    @Timeout(value = 55, unit = TimeUnit.SECONDS)
    void emptyLeaseTableWorksButWaitsForKclsRandomDelay() throws Exception {
        String stream = "smoke-unseeded";
        aws.kinesis().createStream(stream, 2);
        List<PutRecordsResultEntry> sent = aws.kinesis().putRecords(stream, payloads());

        try (Worker worker = worker(stream, stream + "-app")) {
            // KCL waits a random 1-30 s on an empty lease table, checking every 3 s.
            worker.awaitRecords(RECORDS, Duration.ofSeconds(45));
            log.info("empty lease table: first record {} ms after scheduler start, all {} after {} ms",
                    worker.collector.firstRecordMillis(), RECORDS, worker.collector.allRecordsMillis());
            assertThat(worker.collector.received.keySet()).isEqualTo(keys(sent));
        }
    }

    /**
     * The working KCL 2.7.2 configuration against the local stack. What matters:
     * polling retrieval set explicitly (KCL 2.x defaults to enhanced fan-out); metrics level NONE
     * and a {@link NullMetricsFactory} so nothing calls CloudWatch (its client still has to exist:
     * it points at a closed local port); short failover and shard-sync intervals.
     */
    private static Worker worker(String stream, String application) {
        KinesisAsyncClient kinesis = aws.kinesis().newClient();
        DynamoDbAsyncClient dynamoDb = aws.dynamoDb().newAsyncClient();
        CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:9"))
                .region(Region.US_EAST_1)
                .credentialsProvider(EmulatorAccess.credentials())
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .build();
        Collector collector = new Collector();
        ConfigsBuilder configs = new ConfigsBuilder(
                new SingleStreamTracker(stream,
                        InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)),
                application, kinesis, dynamoDb, cloudWatch,
                "worker-" + UUID.randomUUID(), () -> new CollectingProcessor(collector));
        PollingConfig polling = new PollingConfig(stream, kinesis)
                .maxRecords(100)
                .idleTimeBetweenReadsInMillis(100);
        Scheduler scheduler = new Scheduler(
                configs.checkpointConfig(),
                configs.coordinatorConfig()
                        .parentShardPollIntervalMillis(200)
                        .shardConsumerDispatchPollIntervalMillis(100),
                configs.leaseManagementConfig()
                        .failoverTimeMillis(3000)
                        .shardSyncIntervalMillis(1000),
                configs.lifecycleConfig(),
                configs.metricsConfig()
                        .metricsLevel(MetricsLevel.NONE)
                        .metricsFactory(new NullMetricsFactory()),
                configs.processorConfig()
                        .callProcessRecordsEvenForEmptyRecordList(true),
                configs.retrievalConfig()
                        .retrievalSpecificConfig(polling));
        return new Worker(scheduler, collector, List.of(kinesis, dynamoDb, cloudWatch));
    }

    private static List<byte[]> payloads() {
        List<byte[]> out = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            out.add(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static Set<String> keys(List<PutRecordsResultEntry> sent) {
        Set<String> keys = ConcurrentHashMap.newKeySet();
        sent.forEach(e -> keys.add(e.shardId() + "/" + e.sequenceNumber() + "/0"));
        return keys;
    }

    /** A running Scheduler and its clients; close() stops it hard if the test did not. */
    private static final class Worker implements AutoCloseable {
        final Scheduler scheduler;
        final Collector collector;
        final Thread thread;
        final List<AutoCloseable> clients;

        Worker(Scheduler scheduler, Collector collector, List<AutoCloseable> clients) {
            this.scheduler = scheduler;
            this.collector = collector;
            this.clients = clients;
            this.thread = new Thread(scheduler, "kcl-scheduler");
            this.thread.setDaemon(true);
            collector.started.set(System.nanoTime());
            this.thread.start();
        }

        void awaitRecords(int count, Duration timeout) {
            Await.until(() -> count + " records received (" + collector.total.get() + " so far)", timeout, Await.POLL,
                    () -> collector.total.get() >= count);
        }

        void awaitStopped(Duration timeout) throws InterruptedException {
            thread.join(timeout.toMillis());
            assertThat(thread.isAlive()).as("scheduler thread ended").isFalse();
        }

        @Override
        public void close() throws Exception {
            if (thread.isAlive()) {
                scheduler.shutdown();
                thread.join(10_000);
            }
            for (AutoCloseable client : clients) {
                client.close();
            }
        }
    }

    /** What the processors saw, across shards. */
    private static final class Collector {
        final AtomicLong started = new AtomicLong();
        final AtomicLong firstRecord = new AtomicLong();
        final AtomicLong allRecords = new AtomicLong();
        final AtomicInteger total = new AtomicInteger();
        final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        final List<String> payloads = new CopyOnWriteArrayList<>();
        final Set<String> shutdownRequested = ConcurrentHashMap.newKeySet();
        final List<Throwable> checkpointFailures = new CopyOnWriteArrayList<>();
        final Set<Long> millisBehindLatest = ConcurrentHashMap.newKeySet();

        void add(String shardId, KinesisClientRecord record) {
            long now = System.nanoTime();
            firstRecord.compareAndSet(0, now);
            received.computeIfAbsent(shardId + "/" + record.sequenceNumber() + "/" + record.subSequenceNumber(),
                    k -> new AtomicInteger()).incrementAndGet();
            payloads.add(StandardCharsets.UTF_8.decode(record.data()).toString());
            if (total.incrementAndGet() == RECORDS) {
                allRecords.set(now);
            }
        }

        long firstRecordMillis() {
            return (firstRecord.get() - started.get()) / 1_000_000;
        }

        long allRecordsMillis() {
            return (allRecords.get() - started.get()) / 1_000_000;
        }

        void checkpoint(RecordProcessorCheckpointer checkpointer) {
            try {
                checkpointer.checkpoint();
            } catch (Exception e) {
                checkpointFailures.add(e);
            }
        }
    }

    /** Collects records and checkpoints after every non-empty batch; never throws. */
    private static final class CollectingProcessor implements ShardRecordProcessor {
        private final Collector collector;
        private String shardId;

        CollectingProcessor(Collector collector) {
            this.collector = collector;
        }

        @Override
        public void initialize(InitializationInput input) {
            shardId = input.shardId();
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (input.millisBehindLatest() != null) {
                collector.millisBehindLatest.add(input.millisBehindLatest());
            }
            if (input.records().isEmpty()) {
                return;
            }
            input.records().forEach(r -> collector.add(shardId, r));
            collector.checkpoint(input.checkpointer());
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
            // nothing buffered; the next owner re-reads from the last checkpoint
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            collector.checkpoint(input.checkpointer());
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            collector.shutdownRequested.add(shardId);
            collector.checkpoint(input.checkpointer());
        }
    }
}
