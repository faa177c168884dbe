package io.lakehose.pipeline;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of one lease on one shard, for the per-shard metrics. A new lease starts new counts (as a
 * restarted process would), so a shard that comes back to this worker never continues the counts
 * of an older lease that may still be finishing.
 */
public final class ShardCounts {
    /** Records received from the stream (after KCL's de-aggregation). */
    public final LongAdder received = new LongAdder();
    /** Records (rows and error lines) inside objects whose upload completed. */
    public final LongAdder written = new LongAdder();
}
