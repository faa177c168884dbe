package io.lakehose.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * Table maintenance's meters ({@code lakehose_maintain_*}), per table and action ({@code compact},
 * {@code manifests}, {@code expire}, {@code orphans}): both label sets are bounded (the stream's
 * tables, four actions). Part of the catalogue beside {@link LakehoseMetrics}.
 */
public final class MaintainMeters {

    private final MeterRegistry registry;

    public MaintainMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One action done on one table: what it removed and added, how long it took, how it ended. */
    public void record(String table, String action, String outcome, long filesRemoved, long bytesRemoved,
                       long filesAdded, long bytesAdded, Duration took) {
        Tags tags = Tags.of("table", table, "action", action);
        Counter.builder("lakehose.maintain.runs").tags(tags).tag("outcome", outcome)
                .description("Maintenance actions run; outcome done, dry_run, conflict (another commit won: "
                        + "nothing changed, the next run tries again) or failed").register(registry).increment();
        Counter.builder("lakehose.maintain.files.removed").tags(tags)
                .description("Files a maintenance action removed from the table (compaction: data and delete files "
                        + "replaced; manifests: rewritten; expiry and orphan cleanup: deleted)").register(registry).increment(filesRemoved);
        Counter.builder("lakehose.maintain.removed").baseUnit("bytes").tags(tags)
                .description("Bytes of the files a maintenance action removed").register(registry).increment(bytesRemoved);
        Counter.builder("lakehose.maintain.files.added").tags(tags)
                .description("Files a maintenance action added (compaction's rewritten files, the new manifests)").register(registry)
                .increment(filesAdded);
        Counter.builder("lakehose.maintain.added").baseUnit("bytes").tags(tags)
                .description("Bytes of the files a maintenance action added").register(registry).increment(bytesAdded);
        Timer.builder("lakehose.maintain.duration").tags(tags)
                .description("Time of one maintenance action on one table").register(registry).record(took);
    }
}
