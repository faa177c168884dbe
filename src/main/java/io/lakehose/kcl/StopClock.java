package io.lakehose.kcl;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The time of one stop, counted from the moment it was asked for (SIGTERM), not from whenever
 * KCL gets round to each shard: the whole stop, flushes, final checkpoints, stopping KCL and
 * closing the clients, fits in {@code kinesis.shutdownBudgetSeconds} (docs/design.md, "Shard lifecycle").
 *
 * <p>Shards may wait for their uploads until the flush deadline; the rest of the budget, a fifth
 * of it and at most 5 s, is kept for what follows them. Waiting the whole budget in each shard
 * (and then stopping KCL and closing the clients) made a stop with an upload that did not finish
 * take the budget plus 4-5 s: past ECS's stopTimeout with the default budget (issue #14).
 */
final class StopClock {

    static final Duration MAX_RESERVE = Duration.ofSeconds(5);

    private final Duration budget;
    private final Duration reserve;
    private final LongSupplier nanoTime;
    private volatile long startNanos;
    private volatile boolean started;

    StopClock(Duration budget) {
        this(budget, System::nanoTime);
    }

    /** @param nanoTime {@link System#nanoTime()}, or a test's clock */
    StopClock(Duration budget, LongSupplier nanoTime) {
        this.budget = budget;
        this.nanoTime = nanoTime;
        Duration fifth = budget.dividedBy(5);
        this.reserve = fifth.compareTo(MAX_RESERVE) < 0 ? fifth : MAX_RESERVE;
    }

    /** The stop starts now, unless it already has. */
    synchronized void start() {
        if (!started) {
            startNanos = nanoTime.getAsLong();
            started = true;
        }
    }

    boolean started() {
        return started;
    }

    /** How long shards may still wait for their uploads: the whole flush part before the stop starts. */
    Duration flushTimeLeft() {
        return left(budget.minus(reserve));
    }

    /** How long until the budget is spent: the whole budget before the stop starts. */
    Duration timeLeft() {
        return left(budget);
    }

    private Duration left(Duration part) {
        if (!started) {
            return part;
        }
        Duration left = part.minusNanos(nanoTime.getAsLong() - startNanos);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
