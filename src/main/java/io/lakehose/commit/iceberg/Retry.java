package io.lakehose.commit.iceberg;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a unit stands after failed commits: failing since when, how often, not to be tried again
 * before when, and the attempt whose outcome is unknown (it may have landed: look before trying
 * again, docs/design.md, "Tables").
 */
record Retry(long failingSinceNanos, int failures, long notBeforeNanos, Optional<Attempt> unknown) {

    static final Retry NONE = new Retry(0, 0, 0, Optional.empty());

    /** One commit attempt: the id it puts in its snapshot's summary, and the table's snapshot it started from. */
    record Attempt(String id, Optional<Long> baseSnapshotId) {
    }

    boolean failing() {
        return failures > 0;
    }

    boolean due(long nowNanos) {
        return !failing() || nowNanos - notBeforeNanos >= 0;
    }

    /** One more failure at {@code nowNanos}; the wait doubles from a second up to {@code maxWait}. */
    Retry failedAgain(long nowNanos, Optional<Attempt> unknownAttempt, Duration maxWait) {
        int n = failures + 1;
        long wait = Math.min(maxWait.toNanos(), Duration.ofSeconds(1).toNanos() << Math.min(n - 1, 20));
        return new Retry(failing() ? failingSinceNanos : nowNanos, n, nowNanos + wait, unknownAttempt);
    }

    Retry settled() {
        return new Retry(failingSinceNanos, failures, notBeforeNanos, Optional.empty());
    }

    /** Two units of one shard in one commit: the older failure counts. */
    Retry merge(Retry other) {
        if (!other.failing()) {
            return this;
        }
        if (!failing()) {
            return other;
        }
        return new Retry(Math.min(failingSinceNanos, other.failingSinceNanos), Math.max(failures, other.failures),
                Math.max(notBeforeNanos, other.notBeforeNanos), unknown.or(other::unknown));
    }
}
