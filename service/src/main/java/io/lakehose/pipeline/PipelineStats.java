package io.lakehose.pipeline;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one pipeline run, shared by all shards (cheap under contention). */
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

    /** Object key -> records, of every object stored in this run (files are few: fine to keep). */
    public final java.util.concurrent.ConcurrentSkipListMap<String, Long> storedObjects =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    public String summary() {
        return String.format("records=%d rows=%d errors=%d skipped=%d files=%d (data=%d, error=%d) bytes_in=%d bytes_out=%d drift=%d",
                records.sum(), rows.sum(), errors.sum(), skipped.sum(), dataFiles.sum() + errorFiles.sum(), dataFiles.sum(),
                errorFiles.sum(), inputBytes.sum(), outputBytes.sum(), drift.sum());
    }
}
