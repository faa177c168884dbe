package io.lakehose.replay;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Finds leases a live worker holds: those whose {@code leaseCounter} moves while watched.
 *
 * <p>Why watch instead of looking at {@code leaseOwner}: KCL 2.x does not release its leases on
 * a graceful stop, so a stopped service leaves every lease with an owner. A live worker renews
 * each lease it holds every third of failoverTimeMillis, and KCL itself treats a lease whose
 * counter did not move for failoverTimeMillis as expired; so watching that long (same
 * configuration as the service) tells live from dead exactly as KCL does. The watch ends early
 * once every owned lease has moved. Leases without an owner are not waited for; a worker that
 * takes one meanwhile is caught by the conditional write.
 */
final class LiveLeases {

    /** Sleeps between two reads of the lease table. */
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final Supplier<List<Lease>> read;
    private final Duration failoverTime;
    private final Sleeper sleeper;

    LiveLeases(Supplier<List<Lease>> read, Duration failoverTime, Sleeper sleeper) {
        this.read = read;
        this.failoverTime = failoverTime;
        this.sleeper = sleeper;
    }

    /** True when a watch is needed at all: some lease has an owner. */
    static boolean anyOwned(List<Lease> leases) {
        return leases.stream().anyMatch(l -> l.owner() != null);
    }

    /**
     * Watches for up to failoverTimeMillis from the snapshot {@code before}.
     *
     * @return owner by shard id of every lease whose counter or owner moved (empty: no live worker)
     */
    Map<String, String> find(List<Lease> before) throws InterruptedException {
        Map<String, Lease> first = before.stream().collect(Collectors.toMap(Lease::shardId, l -> l));
        Map<String, String> live = new TreeMap<>();
        long owned = before.stream().filter(l -> l.owner() != null).count();
        if (owned == 0) {
            return live;
        }
        long interval = Math.max(100, Math.min(500, failoverTime.toMillis() / 6));
        long deadline = System.nanoTime() + failoverTime.toNanos();
        while (System.nanoTime() < deadline && live.size() < owned) {
            sleeper.sleep(interval);
            for (Lease now : read.get()) {
                Lease then = first.get(now.shardId());
                boolean moved = then == null ? now.owner() != null
                        : now.counter() != then.counter() || !Objects.equals(now.owner(), then.owner());
                if (moved && now.owner() != null) {
                    live.put(now.shardId(), now.owner());
                }
            }
        }
        return live;
    }
}
