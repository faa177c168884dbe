package io.lakehose.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one pipeline run, shared by all shards (cheap under contention), plus the
 * labelled meters of the metrics catalogue (io.lakehose.metrics.LakehoseMetrics). Without a
 * registry (convert, tests) the meters go to a throw-away SimpleMeterRegistry.
 *
 * <p>Only bounded state: the list of every object stored is kept only when asked for
 * ({@link #listingStoredObjects()}, {@code convert --show}); the service stores objects for months.
 */
public final class PipelineStats {
    public final LongAdder records = new LongAdder();
    public final LongAdder inputBytes = new LongAdder();
    public final LongAdder rows = new LongAdder();
    public final LongAdder errors = new LongAdder();
    /** Re-read records skipped because the lake already holds them (after a crash or replay). */
    public final LongAdder skipped = new LongAdder();
    public final LongAdder dataFiles = new LongAdder();
    public final LongAdder errorFiles = new LongAdder();
    public final LongAdder outputBytes = new LongAdder();
    public final LongAdder drift = new LongAdder();
    public final LongAdder uploadFailures = new LongAdder();
    /** Records in open files (buffered, not yet in a finished file). */
    public final LongAdder bufferedRecords = new LongAdder();

    public final MeterRegistry registry;
    /** Finishing a file: closing its Parquet writer (footer) or error file. */
    public final Timer flushTimer;
    /** Storing a finished file: the whole put, retries included. */
    public final Timer uploadTimer;
    private final TableCounters rowsByTable;
    private final Map<String, Counter> errorsByReason = new ConcurrentHashMap<>();
    private final TableCounters driftByTable;
    /** Shards whose lease is running here: bounded by the stream's shard count, not by history. */
    private final Map<String, ShardCounts> byShard = new ConcurrentHashMap<>();
    /** Object location -> records, of every object stored; null unless asked for (it grows with every upload). */
    private final ConcurrentSkipListMap<String, Long> storedObjects;

    public PipelineStats() {
        this(new SimpleMeterRegistry());
    }

    public PipelineStats(MeterRegistry registry) {
        this(registry, false);
    }

    private PipelineStats(MeterRegistry registry, boolean listStoredObjects) {
        this.registry = registry;
        this.storedObjects = listStoredObjects ? new ConcurrentSkipListMap<>() : null;
        this.rowsByTable = new TableCounters(registry, "lakehose.rows.written", "Rows written to the lake");
        this.driftByTable = new TableCounters(registry, "lakehose.schema.drift", "Attributes that did not fit the typed schema");
        this.flushTimer = Timer.builder("lakehose.flush.duration").description("Time to finish one file (footer)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        this.uploadTimer = Timer.builder("lakehose.upload.duration").description("Time to store one file, retries included")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofMinutes(5)).register(registry);
    }

    /** Counters that also list every object stored, for a run that ends and reports them ({@code convert --show}). */
    public static PipelineStats listingStoredObjects() {
        return new PipelineStats(new SimpleMeterRegistry(), true);
    }

    /** Rows written, by table ({@link TableCounters}: the first 200 tables, then {@code other}). */
    public Counter rowsWritten(String table) {
        return rowsByTable.of(table);
    }

    /** Records sent to the error output, by reason (a fixed set of codes). */
    public Counter errorRecords(String reason) {
        return errorsByReason.computeIfAbsent(reason, r -> Counter.builder("lakehose.error.records")
                .description("Records sent to the error output").tag("reason", r).register(registry));
    }

    /** An attribute that did not fit its table's typed schema (by table, as {@link #rowsWritten}). */
    public void drift(String table) {
        drift.increment();
        driftByTable.of(table).increment();
    }

    /** A lease on {@code shardId} starts: fresh counts, which replace those of an earlier lease. */
    public ShardCounts shardStarted(String shardId) {
        ShardCounts counts = new ShardCounts();
        byShard.put(shardId, counts);
        return counts;
    }

    /** The lease behind {@code counts} ended; a newer lease of the same shard keeps its own counts. */
    public void shardReleased(String shardId, ShardCounts counts) {
        byShard.remove(shardId, counts);
    }

    /** Counts per shard whose lease is running here. */
    public Map<String, ShardCounts> shards() {
        return Map.copyOf(byShard);
    }

    /** An object was stored at {@code location} with {@code records} records (rows or error lines). */
    public void stored(String location, long records) {
        if (storedObjects != null) {
            storedObjects.put(location, records);
        }
    }

    /**
     * Location -> records of every object stored in this run, by location; empty unless these
     * counters were made by {@link #listingStoredObjects()}.
     */
    public NavigableMap<String, Long> storedObjects() {
        return storedObjects == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(storedObjects);
    }

    public String summary() {
        return String.format("records=%d rows=%d errors=%d skipped=%d files=%d (data=%d, error=%d) bytes_in=%d bytes_out=%d drift=%d",
                records.sum(), rows.sum(), errors.sum(), skipped.sum(), dataFiles.sum() + errorFiles.sum(), dataFiles.sum(),
                errorFiles.sum(), inputBytes.sum(), outputBytes.sum(), drift.sum());
    }
}
