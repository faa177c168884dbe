package io.lakehose.kcl;

import io.lakehose.config.KinesisSettings;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.pipeline.ShardSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.coordinator.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service: a KCL Scheduler whose record processors feed the pipeline. {@link #run()} blocks
 * until {@link #shutdown()} (SIGTERM) or a fatal shard error, then stops gracefully: every
 * processor flushes, uploads and checkpoints within the shutdown budget.
 */
public final class KinesisWorker {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisWorker.class);
    /** After the shards' uploads, for their final checkpoints and for KCL's notification step. */
    private static final Duration CHECKPOINT_GRACE = Duration.ofSeconds(1);
    /** Kept from the budget for the JVM's exit after the clients are closed (0.4-0.8 s measured on busy cores). */
    private static final Duration EXIT_MARGIN = Duration.ofSeconds(1);

    private final LakehoseConfig config;
    private final PipelineContext pipeline;
    private final Clock clock;
    private final ShardLeases leases = new ShardLeases();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger exitCode = new AtomicInteger(0);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final StopClock stopClock;
    private volatile Thread schedulerThread;

    public KinesisWorker(LakehoseConfig config, PipelineContext pipeline, Clock clock) {
        this.config = config;
        this.pipeline = pipeline;
        this.clock = clock;
        this.stopClock = new StopClock(config.kinesis().shutdownBudget());
    }

    /** Runs until stopped; returns the process exit code (0 after a clean stop, 1 after a failure). */
    public int run() throws InterruptedException {
        KinesisSettings k = config.kinesis();
        Duration budget = k.shutdownBudget();
        SchedulerFactory.Clients clients = SchedulerFactory.Clients.create(k);
        try {
            Scheduler scheduler = SchedulerFactory.create(k, clients,
                    () -> new LakehoseRecordProcessor(this::session, budget, stopClock::flushTimeLeft, leases));
            Thread thread = new Thread(scheduler, "kcl-scheduler");
            thread.setDaemon(true);
            thread.start();
            schedulerThread = thread;
            LOG.info("consuming {} as application {} (lease table) from {}", k.stream(), k.applicationName(),
                    k.initialPosition());
            stop.await();
            stopClock.start(); // already started where the stop was asked for
            LOG.info("stopping: flushing and checkpointing every shard within {} s", budget.toSeconds());
            try {
                boolean clean = awaitGracefulShutdown(scheduler);
                if (!clean) {
                    LOG.warn("graceful shutdown did not complete cleanly");
                }
            } catch (Exception e) {
                LOG.warn("graceful shutdown did not finish in time: {}", e.toString());
                scheduler.shutdown();
            }
        } finally {
            BoundedClose.close("the stream and lease table clients", clients, stopTimeLeft());
            stopped.countDown();
        }
        return exitCode.get();
    }

    /**
     * Waits for KCL's graceful shutdown, or only until every shard this worker processes has
     * flushed, uploaded and checkpointed (its processor released it), then shuts KCL down; at the
     * latest shortly after the stop's flush time is over (the shards then checkpoint what is
     * durable and let go), so that the stop keeps its budget whatever an upload does.
     *
     * <p>Why not just wait for KCL: 2.7.2 counts every lease the worker holds, including the lease
     * of a shard it already finished (SHARD_END after a reshard, kept until KCL's lease cleanup
     * deletes it, minutes later), and that finished consumer never answers, so the future never
     * completes (awslabs/amazon-kinesis-client#1251; fixed in 3.x). Even without a reshard, KCL's
     * own stop waits about failoverTimeMillis for its consumers after the checkpoints are written.
     * The short grace lets KCL finish its notification step after our processors return.
     */
    private boolean awaitGracefulShutdown(Scheduler scheduler) throws Exception {
        Future<Boolean> graceful = scheduler.startGracefulShutdown();
        Duration untilGiveUp = min(stopClock.flushTimeLeft().plus(CHECKPOINT_GRACE), stopClock.timeLeft());
        long giveUpAt = System.nanoTime() + untilGiveUp.toNanos();
        long allReleasedSince = 0;
        while (true) {
            try {
                return graceful.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException notYet) {
                long now = System.nanoTime();
                if (now > giveUpAt) {
                    int held = leases.held();
                    if (held > 0) {
                        LOG.warn("{} shards still flushing or checkpointing when the stop's time ran out; stopping KCL",
                                held);
                    }
                    scheduler.shutdown();
                    return held == 0;
                }
                if (leases.held() > 0) {
                    allReleasedSince = 0;
                } else if (allReleasedSince == 0) {
                    allReleasedSince = now;
                } else if (now - allReleasedSince > CHECKPOINT_GRACE.toNanos()) {
                    LOG.info("every shard flushed and checkpointed; stopping KCL without waiting for its finished shards");
                    scheduler.shutdown();
                    return true;
                }
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * What is left of the stop's budget for closing and exiting, less a margin for the JVM's own
     * exit; the whole budget before a stop.
     */
    public Duration stopTimeLeft() {
        Duration left = stopClock.timeLeft().minus(EXIT_MARGIN);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** Asks the worker to stop gracefully; returns at once. */
    public void shutdown() {
        stopClock.start();
        stop.countDown();
    }

    /** Waits until {@link #run()} has finished its graceful stop. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Empty when alive and not wedged (the scheduler runs, no upload is stuck), else what is wrong. */
    public Optional<String> health() {
        Thread t = schedulerThread;
        if (t == null || !t.isAlive()) {
            return Optional.of(t == null ? "starting: the KCL scheduler is not running yet"
                    : "the KCL scheduler stopped");
        }
        return pipeline.committer().health();
    }

    /** Ready: healthy and holding a lease, or healthy and idle (no shard to take yet). */
    public Optional<String> readiness() {
        return health();
    }

    public ShardLeases leases() {
        return leases;
    }

    private ShardSession session(String shardId) {
        ShardPipeline shard = new ShardPipeline(shardId, pipeline, pipeline.committer().openShard(shardId, true));
        return new ShardSession(shard, clock, config.kinesis().checkpointInterval(), this::fatal);
    }

    private void fatal(String shardId, Throwable error) {
        LOG.error("shard {} failed ({}); stopping the worker so that a new one re-reads from the last checkpoint",
                shardId, error.toString());
        exitCode.set(1);
        stopClock.start();
        stop.countDown();
    }
}
