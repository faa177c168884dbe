package io.lakehose.pipeline;

import io.lakehose.checkpoint.CheckpointException;
import io.lakehose.checkpoint.Checkpointer;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One lease on one shard, from initialize to leaseLost/shardEnded/shutdownRequested: drives a
 * {@link ShardPipeline} and checkpoints what it makes safe (docs/design.md, "Shard lifecycle"). Free of KCL
 * types so that the lifecycle rules are testable on their own; the KCL record processor only
 * translates its callbacks into these calls.
 *
 * <p>Errors never escape {@link #process}: KCL would log and skip the batch, losing it. A
 * failed upload instead marks the session failed, stops its checkpoints, and tells the
 * {@link FatalErrorListener} so the process can exit non-zero and ECS can start a new task,
 * which re-reads from the last checkpoint.
 */
public final class ShardSession {

    private static final Logger LOG = LoggerFactory.getLogger(ShardSession.class);

    /** Told when a shard cannot go on; the worker shuts down and exits non-zero. */
    @FunctionalInterface
    public interface FatalErrorListener {
        void fatal(String shardId, Throwable error);
    }

    private final ShardPipeline pipeline;
    private final Clock clock;
    private final Duration checkpointInterval;
    private final FatalErrorListener fatal;
    private SequenceNumber lastCheckpointed;
    private long lastCheckpointMillis;
    private long lastAttemptMillis;
    private volatile boolean failed;
    /** Set when a checkpoint reported the lease gone: later batches must not be buffered or uploaded. */
    private volatile boolean leaseGone;

    public ShardSession(ShardPipeline pipeline, Clock clock, Duration checkpointInterval, FatalErrorListener fatal) {
        this.pipeline = pipeline;
        this.clock = clock;
        this.checkpointInterval = checkpointInterval;
        this.fatal = fatal;
        this.lastCheckpointMillis = clock.millis();
        this.lastAttemptMillis = lastCheckpointMillis;
    }

    /**
     * A batch from the stream, possibly empty: KCL calls for empty batches too, so that a quiet
     * shard still flushes by age and when the memory budget asks it to.
     */
    public void process(List<SourceRecord> records, Checkpointer checkpointer) {
        if (failed || leaseGone) {
            return; // nothing after a failure or a lease loss may be written; another worker re-reads it
        }
        try {
            for (SourceRecord r : records) {
                pipeline.accept(r);
            }
            pipeline.sealExpired(clock.millis() * 1000L);
            pipeline.sealRequested();
            pipeline.sealIfCommitDue();
            if (clock.millis() - lastAttemptMillis >= checkpointInterval.toMillis()) {
                checkpointSafe(checkpointer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        } catch (CheckpointException e) {
            if (e.leaseLost()) {
                LOG.info("shard {}: lease lost while checkpointing; dropping buffers", pipeline.shardId());
                leaseLost();
                leaseGone = true;
            } else {
                LOG.warn("shard {}: checkpoint failed, will retry: {}", pipeline.shardId(), e.getMessage());
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /**
     * Another worker owns the shard now: drop the buffers, never checkpoint.
     *
     * @return records dropped from buffers (the new owner re-reads them); 0 after a clean shutdown
     */
    public long leaseLost() {
        long dropped = pipeline.bufferedRecords();
        pipeline.discard();
        return dropped;
    }

    /** The shard was split or merged: flush everything, then checkpoint SHARD_END so children start. */
    public void shardEnded(Checkpointer checkpointer, Duration budget) throws CheckpointException {
        if (failed) {
            throw new CheckpointException("shard " + pipeline.shardId() + " failed earlier; not ending it", false, null);
        }
        if (!flushAndWait(budget)) {
            throw new CheckpointException("shard " + pipeline.shardId() + ": uploads did not finish", false, null);
        }
        checkpointer.checkpointShardEnd();
    }

    /** The worker is stopping (SIGTERM): flush, wait for uploads within the budget, checkpoint. */
    public void shutdownRequested(Checkpointer checkpointer, Duration budget) {
        if (failed) {
            return;
        }
        boolean complete = flushAndWait(budget);
        try {
            checkpointSafe(checkpointer); // whatever completed in time is safe even if not all did
        } catch (CheckpointException e) {
            LOG.warn("shard {}: final checkpoint failed: {}", pipeline.shardId(), e.getMessage());
        }
        if (!complete) {
            LOG.warn("shard {}: shutdown budget ran out before every upload finished; the rest is re-read on restart",
                    pipeline.shardId());
        }
    }

    /** The lease is over (lost, shard ended, or shut down): its per-shard metrics go. */
    public void released() {
        pipeline.release();
    }

    public boolean failed() {
        return failed;
    }

    /**
     * Wall-clock time of the last checkpoint written, or of the last attempt that found every
     * record received durable; an attempt that finds a file pending and writes nothing does not
     * count (a stuck upload makes the checkpoint age grow).
     */
    public long lastCheckpointMillis() {
        return lastCheckpointMillis;
    }

    /** Since when the oldest record received and not yet durable waits (epoch millis), if any does. */
    public OptionalLong oldestPendingSinceMillis() {
        return pipeline.oldestPendingSinceMillis();
    }

    public Optional<SequenceNumber> lastCheckpointed() {
        return Optional.ofNullable(lastCheckpointed);
    }

    /** Finishes every file and waits for its upload, both within {@code budget} from now. */
    private boolean flushAndWait(Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        try {
            CompletableFuture<Void> flushed = pipeline.flush(); // finishing the files counts too
            flushed.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            fail(e.getCause());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            fail(e);
            return false;
        }
    }

    private void checkpointSafe(Checkpointer checkpointer) throws CheckpointException {
        lastAttemptMillis = clock.millis();
        Optional<SequenceNumber> safe = pipeline.safeCheckpoint();
        if (safe.isPresent() && (lastCheckpointed == null || safe.get().compareTo(lastCheckpointed) > 0)) {
            checkpointer.checkpoint(safe.get());
            lastCheckpointed = safe.get();
            lastCheckpointMillis = lastAttemptMillis;
        } else if (pipeline.oldestPendingSinceMillis().isEmpty()) {
            // Nothing waits: the shard is as checkpointed as it can be (an idle shard is not behind).
            lastCheckpointMillis = lastAttemptMillis;
        }
        // Else a file is pending and the checkpoint did not move: its age keeps growing (a stuck upload shows).
    }

    private void fail(Throwable e) {
        if (!failed) {
            failed = true;
            LOG.error("shard {}: stopping; records from the last checkpoint on will be re-read by the next worker: {}",
                    pipeline.shardId(), e.toString());
            fatal.fatal(pipeline.shardId(), e);
        }
    }
}
