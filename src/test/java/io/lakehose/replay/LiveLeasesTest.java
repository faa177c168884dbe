package io.lakehose.replay;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Live-worker detection on a scripted lease table (no AWS). */
class LiveLeasesTest {

    private static final Lease A = new Lease("shard-a", "worker-1", 10, "100", 0, List.of(), false);
    private static final Lease B = new Lease("shard-b", "worker-1", 20, "200", 0, List.of(), false);
    /**
     * The pause between two reads when the test is that the watch lasts the whole failover time
     * on the real clock: real time must pass, only less of it per read than in production.
     */
    private static final long WATCH_PAUSE_MILLIS = 10;

    @Test
    void leasesWhoseCountersMoveAreHeldByALiveWorker() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        LiveLeases live = new LiveLeases(() -> {
            reads.incrementAndGet();
            return List.of(renewed(A), renewed(B));
        }, Duration.ofSeconds(30), millis -> { }); // the first read already shows both leases moved

        assertThat(live.find(List.of(A, B))).containsOnly(Map.entry("shard-a", "worker-1"),
                Map.entry("shard-b", "worker-1"));
        assertThat(reads.get()).as("stops as soon as every owned lease moved, long before 30 s").isEqualTo(1);
    }

    @Test
    void leasesLeftByAStoppedWorkerStandStillForTheWholeFailoverTime() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        long start = System.nanoTime();
        LiveLeases live = new LiveLeases(() -> {
            reads.incrementAndGet();
            return List.of(A, B);
        }, Duration.ofMillis(200), millis -> Thread.sleep(WATCH_PAUSE_MILLIS));

        assertThat(live.find(List.of(A, B))).isEmpty();
        assertThat(System.nanoTime() - start).as("watched the whole failover time").isGreaterThanOrEqualTo(200_000_000L);
        assertThat(reads.get()).isGreaterThan(1);
    }

    @Test
    void noOwnerNoWait() throws Exception {
        Lease free = new Lease("shard-c", null, 3, "TRIM_HORIZON", 0, List.of(), false);
        LiveLeases live = new LiveLeases(() -> {
            throw new AssertionError("must not read");
        }, Duration.ofSeconds(30), millis -> {
            throw new AssertionError("must not sleep");
        });
        assertThat(live.find(List.of(free))).isEmpty();
    }

    private static Lease renewed(Lease l) {
        return new Lease(l.shardId(), l.owner(), l.counter() + 1, l.checkpoint(), 0, l.parentShardIds(), false);
    }
}
