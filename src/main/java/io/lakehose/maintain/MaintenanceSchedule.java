package io.lakehose.maintain;

import io.lakehose.buffer.SpoolDirectory;
import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.metrics.MaintainMeters;
import io.lakehose.pipeline.Pipelines;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.iceberg.catalog.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Table maintenance inside {@code run}, every {@code maintain.intervalMinutes} (off by default):
 * on its own thread and catalog connection, beside the commits. The first run comes after a
 * random part of the interval, so that workers started together do not all compact at once.
 */
public final class MaintenanceSchedule implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceSchedule.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "maintain");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    private final Catalog catalog;

    private MaintenanceSchedule(LakehoseConfig config, MeterRegistry registry) throws ConfigException {
        this.catalog = Pipelines.catalog(config);
        long every = config.maintain().interval().toMillis();
        MaintainMeters meters = new MaintainMeters(registry);
        thread.scheduleWithFixedDelay(() -> runOnce(config, meters), every / 2 + ThreadLocalRandom.current()
                .nextLong(every / 2 + 1), every, TimeUnit.MILLISECONDS);
    }

    /** The schedule when the configuration asks for one and the lake has tables; else nothing. */
    public static AutoCloseable start(LakehoseConfig config, MeterRegistry registry) throws ConfigException {
        if (!config.maintain().scheduled() || config.lake().format() == ConfigKeys.LakeFormat.FOLDERS) {
            return () -> { };
        }
        return new MaintenanceSchedule(config, registry);
    }

    private void runOnce(LakehoseConfig config, MaintainMeters meters) {
        Path work = null;
        try {
            work = Files.createTempDirectory("lakehose-maintain-");
            new Maintenance(catalog, config.iceberg().namespace(), config.maintain(), config.parquet(), work,
                    Clock.systemUTC(), meters).run(Optional.empty(), false);
        } catch (IOException | RuntimeException e) {
            // a task that throws is never run again: the next interval tries again
            LOG.warn("table maintenance failed: {}", e.toString(), e);
        } finally {
            if (work != null) {
                SpoolDirectory.deleteTree(work);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        if (catalog instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.warn("closing the maintenance catalog: {}", e.toString());
            }
        }
    }
}
