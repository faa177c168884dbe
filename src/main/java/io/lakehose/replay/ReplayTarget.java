package io.lakehose.replay;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Where a replay puts a shard: the value of {@code replay --to}.
 *
 * <p>KCL resumes a shard <em>after</em> its checkpoint (GetShardIterator AFTER_SEQUENCE_NUMBER), so
 * {@link AtSequence} means "the next start reads the records after this one", like any checkpoint.
 * {@link AtTimestamp} is resolved per shard to the checkpoint just before the first record that
 * arrived at or after the instant (see {@link ShardPositions}), because KCL takes the timestamp of
 * an AT_TIMESTAMP checkpoint from the worker's initial-position setting, not from the lease.
 */
public sealed interface ReplayTarget {

    String USAGE = "TRIM_HORIZON, LATEST, AT_TIMESTAMP=<ISO-8601 instant, e.g. 2024-11-25T07:30:00Z> "
            + "or a sequence number (decimal digits, with --shard)";

    /** Every record the stream still holds. */
    record TrimHorizon() implements ReplayTarget {
        @Override
        public String toString() {
            return Checkpoints.TRIM_HORIZON;
        }
    }

    /** Only records that arrive after the next start (skips what is in the stream now). */
    record Latest() implements ReplayTarget {
        @Override
        public String toString() {
            return Checkpoints.LATEST;
        }
    }

    /** Records whose Kinesis arrival time (ApproximateArrivalTimestamp) is at or after {@code instant}. */
    record AtTimestamp(Instant instant) implements ReplayTarget {
        @Override
        public String toString() {
            return "AT_TIMESTAMP=" + instant;
        }
    }

    /** The records after {@code sequenceNumber} of one shard. */
    record AtSequence(String sequenceNumber) implements ReplayTarget {
        @Override
        public String toString() {
            return sequenceNumber;
        }
    }

    /** Parses a {@code --to} value; the exception's message is meant for the user. */
    static ReplayTarget parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.equalsIgnoreCase(Checkpoints.TRIM_HORIZON)) {
            return new TrimHorizon();
        }
        if (t.equalsIgnoreCase(Checkpoints.LATEST)) {
            return new Latest();
        }
        if (t.regionMatches(true, 0, "AT_TIMESTAMP=", 0, "AT_TIMESTAMP=".length())) {
            String instant = t.substring("AT_TIMESTAMP=".length());
            try {
                return new AtTimestamp(Instant.parse(instant));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--to AT_TIMESTAMP needs an ISO-8601 instant such as "
                        + "2024-11-25T07:30:00Z, got '" + instant + "'");
            }
        }
        if (!t.isEmpty() && t.length() <= 128 && t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return new AtSequence(t);
        }
        throw new IllegalArgumentException("--to must be " + USAGE + ", got '" + text + "'");
    }
}
