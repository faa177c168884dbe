package io.lakehose.metrics;

import io.lakehose.buffer.MemoryBudget;
import io.lakehose.kcl.ShardLeases;
import io.lakehose.pipeline.PipelineStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The metrics catalogue, in one place, built on an injected registry. Names become Prometheus
 * names with the {@code lakehose_} prefix ({@code lakehose.records.received} ->
 * {@code lakehose_records_received_total}). Labels are bounded: stream, shard (the stream's
 * shards), table (the stream's tables), reason (fixed error codes), kind; never sequence numbers
 * or keys. Labelled meters owned by the pipeline (rows per table, errors per reason, drift per
 * table, flush and upload timers) are registered by {@link PipelineStats} on the same registry.
 */
public final class LakehoseMetrics implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LakehoseMetrics.class);

    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "metrics-refresh");
        t.setDaemon(true);
        return t;
    });

    public LakehoseMetrics(MeterRegistry registry, String stream, PipelineStats stats, ShardLeases leases,
                           MemoryBudget memory, Clock clock) {
        Tags streamTag = Tags.of("stream", stream);
        counter(registry, "lakehose.records.skipped", "Re-read records already in the lake", streamTag, stats,
                s -> s.skipped.sum());
        counter(registry, "lakehose.input", "Bytes of records received", streamTag, stats, s -> s.inputBytes.sum(), "bytes");
        counter(registry, "lakehose.output", "Bytes of objects stored", streamTag, stats, s -> s.outputBytes.sum(), "bytes");
        counter(registry, "lakehose.objects.written", "Objects stored", Tags.of("kind", "data"), stats,
                s -> s.dataFiles.sum());
        counter(registry, "lakehose.objects.written", "Objects stored", Tags.of("kind", "error"), stats,
                s -> s.errorFiles.sum());
        counter(registry, "lakehose.upload.failures", "Uploads that failed after the SDK's retries", streamTag, stats,
                s -> s.uploadFailures.sum());
        Gauge.builder("lakehose.buffered.records", stats, s -> s.bufferedRecords.sum())
                .description("Records received and not yet durable: in open files or uploading").tags(streamTag)
                .register(registry);
        Gauge.builder("lakehose.buffered", memory, MemoryBudget::usedBytes).baseUnit("bytes")
                .description("Heap held by open files (row groups being built)").tags(streamTag).register(registry);
        Gauge.builder("lakehose.leases.held", leases, ShardLeases::held)
                .description("Shard leases this worker holds").tags(streamTag).register(registry);

        // Records received and written, iterator age and checkpoint age are per shard (ShardMeters).
        ShardMeters shards = new ShardMeters(registry, stream, stats::shards, leases::millisBehindLatest,
                leases::lastCheckpointMillis, leases::oldestPendingSinceMillis, clock::millis);
        refresher.scheduleAtFixedRate(() -> {
            try {
                shards.refresh();
            } catch (RuntimeException e) {
                // a task that throws is never run again: keep refreshing, say what went wrong
                LOG.warn("per-shard metrics not refreshed: {}", e.toString());
            }
        }, 0, 1, TimeUnit.SECONDS);

        for (var binder : List.of(new JvmMemoryMetrics(), new JvmGcMetrics(), new JvmThreadMetrics(),
                new ClassLoaderMetrics(), new ProcessorMetrics(), new UptimeMetrics())) {
            binder.bindTo(registry);
        }
    }

    private static void counter(MeterRegistry registry, String name, String description, Tags tags, PipelineStats stats,
                                ToDoubleFunction<PipelineStats> value) {
        counter(registry, name, description, tags, stats, value, null);
    }

    private static void counter(MeterRegistry registry, String name, String description, Tags tags, PipelineStats stats,
                                ToDoubleFunction<PipelineStats> value, String unit) {
        FunctionCounter.Builder<PipelineStats> b = FunctionCounter.builder(name, stats, value).description(description).tags(tags);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
