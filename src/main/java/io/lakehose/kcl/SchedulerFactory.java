package io.lakehose.kcl;

import io.lakehose.config.ConfigKeys;
import io.lakehose.config.KinesisSettings;
import software.amazon.awssdk.arns.Arn;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.KinesisClientUtil;
import software.amazon.kinesis.common.StreamIdentifier;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.metrics.MetricsConfig;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.ShardRecordProcessorFactory;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.processor.StreamTracker;
import software.amazon.kinesis.retrieval.RetrievalConfig;
import software.amazon.kinesis.retrieval.fanout.FanOutConfig;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Builds the KCL 2.x Scheduler from the kinesis.* settings. Everything KCL would otherwise
 * default surprisingly is set explicitly: retrieval (KCL falls back to enhanced fan-out when
 * none is given), CloudWatch metrics (off unless asked), empty-batch callbacks (on, so that quiet
 * shards still flush by age).
 */
final class SchedulerFactory {

    private SchedulerFactory() {
    }

    /** The AWS clients the scheduler uses; closed by the worker after the scheduler stops. */
    record Clients(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, CloudWatchAsyncClient cloudWatch)
            implements AutoCloseable {
        static Clients create(KinesisSettings k) {
            return new Clients(KinesisClientUtil.createKinesisAsyncClient(StreamClientBuilders.kinesis(k)),
                    StreamClientBuilders.leaseTable(k).build(),
                    CloudWatchAsyncClient.builder().region(Region.of(k.region())).build());
        }

        @Override
        public void close() {
            kinesis.close();
            dynamo.close();
            cloudWatch.close();
        }
    }

    static Scheduler create(KinesisSettings k, Clients clients, ShardRecordProcessorFactory processors) {
        ConfigsBuilder configs = new ConfigsBuilder(streamTracker(k), k.applicationName(), clients.kinesis(),
                clients.dynamo(), clients.cloudWatch(), workerId(), processors);

        RetrievalConfig retrieval = configs.retrievalConfig();
        if (k.retrieval() == ConfigKeys.Retrieval.POLLING) {
            retrieval.retrievalSpecificConfig(new PollingConfig(clients.kinesis())
                    .maxRecords(k.maxRecords())
                    .idleTimeBetweenReadsInMillis(k.idleTimeBetweenReadsMillis()));
        } else {
            retrieval.retrievalSpecificConfig(new FanOutConfig(clients.kinesis())
                    .applicationName(k.applicationName()));
        }
        MetricsConfig metrics = configs.metricsConfig();
        if (!k.cloudWatchMetrics()) {
            metrics.metricsLevel(MetricsLevel.NONE).metricsFactory(new NullMetricsFactory());
        }
        return new Scheduler(
                configs.checkpointConfig(),
                configs.coordinatorConfig(),
                configs.leaseManagementConfig()
                        .failoverTimeMillis(k.failoverTimeMillis())
                        .shardSyncIntervalMillis(k.shardSyncIntervalMillis())
                        .billingMode(BillingMode.PAY_PER_REQUEST),
                configs.lifecycleConfig(),
                metrics,
                configs.processorConfig().callProcessRecordsEvenForEmptyRecordList(true),
                retrieval);
    }

    private static StreamTracker streamTracker(KinesisSettings k) {
        InitialPositionInStreamExtended position = initialPosition(k.initialPosition());
        StreamIdentifier id = k.stream().startsWith("arn:")
                ? StreamIdentifier.singleStreamInstance(Arn.fromString(k.stream()))
                : StreamIdentifier.singleStreamInstance(k.stream());
        return new SingleStreamTracker(id, position);
    }

    static InitialPositionInStreamExtended initialPosition(String text) {
        if (text.startsWith("AT_TIMESTAMP=")) {
            return InitialPositionInStreamExtended.newInitialPositionAtTimestamp(
                    Date.from(Instant.parse(text.substring("AT_TIMESTAMP=".length()))));
        }
        return InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.valueOf(text));
    }

    private static String workerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + ":" + UUID.randomUUID();
    }
}
