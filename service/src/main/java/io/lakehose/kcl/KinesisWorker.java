package io.lakehose.kcl;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.pipeline.LakeHighWaterMarks;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.pipeline.ShardSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.coordinator.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service: a KCL Scheduler whose record processors feed the pipeline. {@link #run()} blocks
 * until {@link #shutdown()} (SIGTERM) or a fatal shard error, then stops gracefully: every
 * processor flushes, uploads and checkpoints within the shutdown budget.
 */
public final class KinesisWorker {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisWorker.class);

    private final LakehoseConfig config;
    private final PipelineContext pipeline;
    private final Clock clock;
    private final ShardLeases leases = new ShardLeases();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger exitCode = new AtomicInteger(0);
    private final CountDownLatch stopped = new CountDownLatch(1);

    public KinesisWorker(LakehoseConfig config, PipelineContext pipeline, Clock clock) {
        this.config = config;
        this.pipeline = pipeline;
        this.clock = clock;
    }

    /** Runs until stopped; returns the process exit code (0 after a clean stop, 1 after a failure). */
    public int run() throws InterruptedException {
        LakehoseConfig.KinesisSettings k = config.kinesis();
        Duration budget = k.shutdownBudget();
        try (SchedulerFactory.Clients clients = SchedulerFactory.Clients.create(k)) {
            Scheduler scheduler = SchedulerFactory.create(k, clients,
                    () -> new LakehoseRecordProcessor(this::session, budget, leases));
            Thread schedulerThread = new Thread(scheduler, "kcl-scheduler");
            schedulerThread.setDaemon(true);
            schedulerThread.start();
            LOG.info("consuming {} as application {} (lease table) from {}", k.stream(), k.applicationName(),
                    k.initialPosition());
            stop.await();
            LOG.info("stopping: flushing and checkpointing every shard within {} s", budget.toSeconds());
            try {
                boolean clean = scheduler.startGracefulShutdown().get(budget.toMillis() + 5_000, TimeUnit.MILLISECONDS);
                if (!clean) {
                    LOG.warn("graceful shutdown did not complete cleanly");
                }
            } catch (Exception e) {
                LOG.warn("graceful shutdown did not finish in time: {}", e.toString());
                scheduler.shutdown();
            }
        } finally {
            stopped.countDown();
        }
        return exitCode.get();
    }

    /** Asks the worker to stop gracefully; returns at once. */
    public void shutdown() {
        stop.countDown();
    }

    /** Waits until {@link #run()} has finished its graceful stop. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public ShardLeases leases() {
        return leases;
    }

    private ShardSession session(String shardId) {
        ShardPipeline shard = new ShardPipeline(shardId, pipeline, new LakeHighWaterMarks(pipeline.uploader().store(), shardId));
        return new ShardSession(shard, clock, config.kinesis().checkpointInterval(), this::fatal);
    }

    private void fatal(String shardId, Throwable error) {
        LOG.error("shard {} failed ({}); stopping the worker so that a new one re-reads from the last checkpoint",
                shardId, error.toString());
        exitCode.set(1);
        stop.countDown();
    }
}
