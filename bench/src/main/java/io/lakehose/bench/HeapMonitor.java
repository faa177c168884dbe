package io.lakehose.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Heap use during one measurement, two ways:
 * <ul>
 *   <li>{@code peakUsed}: the highest used heap seen by a 5 ms sampler (garbage included: what
 *       the JVM needed, bounded by -Xmx);</li>
 *   <li>{@code peakAfterGc}: the highest heap left after a collection (reported by GC
 *       notifications): close to what the pipeline really holds (open row groups, input).</li>
 * </ul>
 * One measurement at a time; {@link #start()} collects garbage first so measurements do not
 * inherit each other's garbage.
 */
final class HeapMonitor implements AutoCloseable {

    /** Heap figures of one measurement, in bytes; -1 when not available. */
    record Peak(long used, long afterGc) {
    }

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> heapPools = new ArrayList<>();
    private final Set<String> heapPoolNames;
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakAfterGc = new AtomicLong(-1);
    private final List<Runnable> unregister = new ArrayList<>();
    private volatile boolean active;
    private Thread sampler;

    HeapMonitor() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                heapPools.add(p);
            }
        }
        heapPoolNames = heapPools.stream().map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        try {
            NotificationListener listener = (n, handback) -> {
                if (active && n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    GarbageCollectionNotificationInfo info =
                            GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    long after = 0;
                    for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (heapPoolNames.contains(e.getKey())) {
                            after += e.getValue().getUsed();
                        }
                    }
                    peakAfterGc.accumulateAndGet(after, Math::max);
                }
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener(listener, null, null);
                    unregister.add(() -> {
                        try {
                            emitter.removeNotificationListener(listener);
                        } catch (Exception ignored) {
                            // gone already
                        }
                    });
                }
            }
        } catch (LinkageError e) {
            // a runtime without jdk.management: only the sampled peak is reported
        }
    }

    /** Collects garbage, resets the peaks and starts sampling. */
    void start() {
        System.gc();
        for (MemoryPoolMXBean p : heapPools) {
            p.resetPeakUsage();
        }
        peakUsed.set(memory.getHeapMemoryUsage().getUsed());
        peakAfterGc.set(-1);
        active = true;
        sampler = new Thread(() -> {
            while (active) {
                peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Stops sampling; returns the peaks since {@link #start()}. */
    Peak stop() throws InterruptedException {
        peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        active = false;
        sampler.interrupt();
        sampler.join();
        return new Peak(peakUsed.get(), peakAfterGc.get());
    }

    /** Bytes of heap in use after a full collection (the baseline: input pool, classes' statics). */
    long liveAfterFullGc() {
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    @Override
    public void close() {
        active = false;
        unregister.forEach(Runnable::run);
    }
}
