package io.lakehose.buffer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The global cap on heap held by open files across all shards and partitions. When the total
 * exceeds the cap, the largest open file is asked to flush first: its owner (the only thread
 * allowed to touch it) sees the request on its next call.
 *
 * <p>Trade-off: a cap-driven flush depends on what other shards hold at that moment, so it is
 * the one file boundary that is not a function of a shard's own records. It only happens under
 * memory pressure; size the cap so that normal traffic flushes by size or age.
 */
public final class MemoryBudget {

    private final long capBytes;
    private final AtomicLong used = new AtomicLong();
    private final Map<Handle, Long> holders = new ConcurrentHashMap<>();
    /** Bumped on every flush request so owners only scan their files when something changed. */
    private volatile long requests;

    public MemoryBudget(long capBytes) {
        if (capBytes <= 0) {
            throw new IllegalArgumentException("memory cap must be positive");
        }
        this.capBytes = capBytes;
    }

    /**
     * The cap for this JVM: {@code configuredBytes}, but at most a third of the maximum heap, so
     * that a default cap larger than a small heap (512 MiB in a 512 MiB heap) still bounds it:
     * open files hold more than they count (slabs grow by doubling), and the rest of the heap
     * holds the input in flight and the uploads.
     */
    public static MemoryBudget forHeap(long configuredBytes, long maxHeapBytes) {
        return new MemoryBudget(Math.max(1, Math.min(configuredBytes, maxHeapBytes / 3)));
    }

    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    public long capBytes() {
        return capBytes;
    }

    public long usedBytes() {
        return used.get();
    }

    Handle register() {
        Handle h = new Handle();
        holders.put(h, 0L);
        return h;
    }

    /** Records the new heap use of {@code h}; if over the cap, asks the largest holder to flush. */
    void update(Handle h, long bytes) {
        Long old = holders.replace(h, bytes);
        if (old == null) {
            return; // released concurrently
        }
        if (used.addAndGet(bytes - old) > capBytes) {
            Handle largest = null;
            long max = -1;
            for (Map.Entry<Handle, Long> e : holders.entrySet()) {
                if (e.getValue() > max && !e.getKey().flushRequested) {
                    max = e.getValue();
                    largest = e.getKey();
                }
            }
            if (largest != null) {
                largest.flushRequested = true;
                requests++;
            }
        }
    }

    long requests() {
        return requests;
    }

    void release(Handle h) {
        Long old = holders.remove(h);
        if (old != null) {
            used.addAndGet(-old);
        }
    }

    /** One open file's share of the budget. */
    static final class Handle {
        volatile boolean flushRequested;
    }
}
