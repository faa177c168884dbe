package io.lakehose.kcl;

import io.lakehose.checkpoint.CheckpointException;
import io.lakehose.pipeline.ShardSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.processor.ShardRecordProcessor;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * KCL's callbacks, each delegating to a {@link ShardSession} (the lifecycle rules live there).
 * Sets the shard id in the logging context, as KCL's sample processor does.
 */
final class LakehoseRecordProcessor implements ShardRecordProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(LakehoseRecordProcessor.class);

    private final Function<String, ShardSession> sessions;
    private final Duration shutdownBudget;
    /** What is left of the stop's flush time when KCL asks this shard to stop (counted from SIGTERM). */
    private final Supplier<Duration> stopFlushTimeLeft;
    private final ShardLeases leases;
    private String shardId;
    private ShardSession session;

    LakehoseRecordProcessor(Function<String, ShardSession> sessions, Duration shutdownBudget, ShardLeases leases) {
        this(sessions, shutdownBudget, () -> shutdownBudget, leases);
    }

    /**
     * @param shutdownBudget    how long a shard end may wait for its uploads
     * @param stopFlushTimeLeft how long a stop may still wait for them ({@link StopClock#flushTimeLeft})
     */
    LakehoseRecordProcessor(Function<String, ShardSession> sessions, Duration shutdownBudget,
                            Supplier<Duration> stopFlushTimeLeft, ShardLeases leases) {
        this.sessions = sessions;
        this.shutdownBudget = shutdownBudget;
        this.stopFlushTimeLeft = stopFlushTimeLeft;
        this.leases = leases;
    }

    @Override
    public void initialize(InitializationInput input) {
        shardId = input.shardId();
        try (var ignored = MDC.putCloseable("shardId", shardId)) {
            LOG.info("lease taken at {}", input.extendedSequenceNumber());
            session = sessions.apply(shardId);
            ShardSession s = session;
            leases.taken(shardId, s::oldestPendingSinceMillis);
        }
    }

    @Override
    public void processRecords(ProcessRecordsInput input) {
        try (var ignored = MDC.putCloseable("shardId", shardId)) {
            leases.behind(shardId, input.millisBehindLatest());
            session.process(KinesisRecords.toSource(shardId, input.records()), new KclCheckpointer(input.checkpointer()));
            leases.checkpointed(shardId, session.lastCheckpointMillis());
        }
    }

    @Override
    public void leaseLost(LeaseLostInput input) {
        if (session == null) {
            // KCL also calls leaseLost when the lease went before initialize ran (another worker
            // stole it while this one was starting the shard): nothing was read, nothing to drop.
            LOG.info("lease lost before the shard was initialized; nothing to drop");
            return;
        }
        try (var ignored = MDC.putCloseable("shardId", shardId)) {
            long dropped = session.leaseLost();
            if (dropped > 0) {
                LOG.info("lease lost; dropped {} buffered records (the new owner re-reads them)", dropped);
            } else {
                LOG.info("lease released");
            }
            release();
        }
    }

    @Override
    public void shardEnded(ShardEndedInput input) {
        try (var ignored = MDC.putCloseable("shardId", shardId)) {
            LOG.info("shard ended; flushing and checkpointing SHARD_END");
            session.shardEnded(new KclCheckpointer(input.checkpointer()), shutdownBudget);
            release();
        } catch (CheckpointException e) {
            // Thrown on purpose: KCL then retries shardEnded later instead of starting the
            // children over records that are not in the lake yet.
            throw new IllegalStateException("shard " + shardId + " could not end: " + e.getMessage(), e);
        }
    }

    /** The lease is over: the shard's gauges and counters leave /metrics, so its labels stay bounded. */
    private void release() {
        leases.released(shardId);
        session.released();
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
        if (session == null) {
            return; // not initialized: nothing read, nothing to flush or checkpoint
        }
        try (var ignored = MDC.putCloseable("shardId", shardId)) {
            LOG.info("shutdown requested; flushing and checkpointing");
            session.shutdownRequested(new KclCheckpointer(input.checkpointer()), stopFlushTimeLeft.get());
            release();
        }
    }
}
