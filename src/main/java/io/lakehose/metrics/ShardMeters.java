package io.lakehose.metrics;

import io.lakehose.pipeline.ShardCounts;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The meters labelled by shard, kept in step with the leases this worker holds: {@link #refresh()}
 * adds the meters of a new lease and removes those of a lease that went. Without the removal,
 * every shard a worker ever held (leases move, reshards create new shards) would stay a series
 * until the process ends.
 *
 * <p>Not thread-safe: call {@link #refresh()} from one thread (the metrics refresher).
 */
final class ShardMeters {

    private final MeterRegistry registry;
    private final String stream;
    private final Supplier<Map<String, ShardCounts>> counts;
    private final Supplier<Map<String, Long>> millisBehindLatest;
    private final Supplier<Map<String, Long>> lastCheckpointMillis;
    private final Supplier<Map<String, Long>> oldestPendingSinceMillis;
    private final LongSupplier clockMillis;
    private final MultiGauge iteratorAge;
    private final MultiGauge sinceCheckpoint;
    private final MultiGauge pendingAge;
    /** Shard -> the counts its counters read and the counters, so a new lease's counts replace them. */
    private final Map<String, Counters> counters = new HashMap<>();

    private record Counters(ShardCounts counts, List<Meter> meters) {
    }

    /**
     * @param counts               per-shard counts of the leases running here
     * @param millisBehindLatest   per held shard, KCL's millisBehindLatest (negative: not known yet)
     * @param lastCheckpointMillis per held shard, when it was last checkpointed (epoch millis)
     * @param oldestPendingSinceMillis per held shard with records not yet durable, since when the oldest waits
     */
    ShardMeters(MeterRegistry registry, String stream, Supplier<Map<String, ShardCounts>> counts,
                Supplier<Map<String, Long>> millisBehindLatest, Supplier<Map<String, Long>> lastCheckpointMillis,
                Supplier<Map<String, Long>> oldestPendingSinceMillis, LongSupplier clockMillis) {
        this.registry = registry;
        this.stream = stream;
        this.counts = counts;
        this.millisBehindLatest = millisBehindLatest;
        this.lastCheckpointMillis = lastCheckpointMillis;
        this.oldestPendingSinceMillis = oldestPendingSinceMillis;
        this.clockMillis = clockMillis;
        this.iteratorAge = MultiGauge.builder("lakehose.iterator.age").baseUnit("seconds")
                .description("How far behind the stream tip each shard is (KCL millisBehindLatest)").register(registry);
        this.sinceCheckpoint = MultiGauge.builder("lakehose.checkpoint.age").baseUnit("seconds")
                .description("Time since each held shard was last checkpointed (or found with every record durable)")
                .register(registry);
        this.pendingAge = MultiGauge.builder("lakehose.pending.age").baseUnit("seconds")
                .description("Per held shard, how long its oldest record received and not yet durable (buffered or "
                        + "uploading) has waited; 0 when every record received is durable").register(registry);
    }

    void refresh() {
        // overwrite = true: rows of shards not in the new list are removed from the registry
        iteratorAge.register(millisBehindLatest.get().entrySet().stream()
                .filter(e -> e.getValue() >= 0)
                .map(e -> MultiGauge.Row.of(tags(e.getKey()), e.getValue() / 1000.0))
                .toList(), true);
        long now = clockMillis.getAsLong();
        Map<String, Long> checkpointed = lastCheckpointMillis.get();
        sinceCheckpoint.register(checkpointed.entrySet().stream()
                .map(e -> MultiGauge.Row.of(tags(e.getKey()), (now - e.getValue()) / 1000.0))
                .toList(), true);
        Map<String, Long> pending = oldestPendingSinceMillis.get();
        pendingAge.register(checkpointed.keySet().stream()
                .map(shard -> MultiGauge.Row.of(tags(shard),
                        pending.containsKey(shard) ? Math.max(0, now - pending.get(shard)) / 1000.0 : 0.0))
                .toList(), true);

        Map<String, ShardCounts> current = counts.get();
        counters.entrySet().removeIf(e -> {
            if (current.get(e.getKey()) == e.getValue().counts()) {
                return false;
            }
            e.getValue().meters().forEach(registry::remove); // lease gone, or replaced by a newer one
            return true;
        });
        current.forEach((shard, c) -> counters.computeIfAbsent(shard, s -> new Counters(c, List.of(
                FunctionCounter.builder("lakehose.records.received", c, x -> x.received.sum())
                        .description("Stream records received, per shard").tags(tags(s)).register(registry),
                FunctionCounter.builder("lakehose.records.written", c, x -> x.written.sum())
                        .description("Records (rows and error lines) in stored objects, per shard").tags(tags(s))
                        .register(registry)))));
    }

    private Tags tags(String shard) {
        return Tags.of("stream", stream, "shard", shard);
    }
}
