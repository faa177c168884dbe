package io.lakehose.commit.iceberg.state;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of two changes of one item is the newer (docs/design.md, "Tables", current-state table).
 * A total order, so the newest change of a key is the same whatever order the changes arrive in,
 * however often each arrives, and however they are split into commits:
 * <ol>
 *   <li>the order attribute, where the table has one configured: a change carrying it is newer
 *       than one without (a REMOVE carries its old image's value); numbers compare as numbers,
 *       strings as strings, any number is older than any string;</li>
 *   <li>the event time;</li>
 *   <li>a change from the stream is newer than a backfill's SNAPSHOT row of the same time;</li>
 *   <li>within one shard, the higher sequence number (then sub-sequence);</li>
 *   <li>across shards (after a reshard), the shard with the higher number in its id
 *       ({@code shardId-000000000012} is 12): Kinesis numbers a child shard above its parents.
 *       An id without such a number (a backfill unit, convert's {@code local-<id>}) is older than one
 *       with; then ids compare as strings, then sequence numbers.</li>
 * </ol>
 * Two changes equal under all of these are the same change delivered twice: either one wins.
 */
public final class MergeRule implements Comparator<Change> {

    private static final Pattern KINESIS_SHARD = Pattern.compile("shardId-(\\d{1,18})");

    public static final MergeRule INSTANCE = new MergeRule();

    private MergeRule() {
    }

    /** Positive when {@code a} is newer than {@code b}. */
    @Override
    public int compare(Change a, Change b) {
        int c = compareOrder(a.order(), b.order());
        if (c != 0) {
            return c;
        }
        c = Long.compare(a.eventTimeMicros(), b.eventTimeMicros());
        if (c != 0) {
            return c;
        }
        c = Boolean.compare(!a.isSnapshot(), !b.isSnapshot());
        if (c != 0) {
            return c;
        }
        if (!a.shardId().equals(b.shardId())) {
            c = Long.compare(shardNumber(a.shardId()), shardNumber(b.shardId()));
            if (c != 0) {
                return c;
            }
            c = a.shardId().compareTo(b.shardId());
            if (c != 0) {
                return c;
            }
        }
        return a.sequence().compareTo(b.sequence());
    }

    /** The newer of the two; {@code current} when they are the same change. */
    public Change newer(Change current, Change candidate) {
        return compare(candidate, current) > 0 ? candidate : current;
    }

    /** The number in a Kinesis shard id, -1 for an id without one. */
    static long shardNumber(String shardId) {
        Matcher m = KINESIS_SHARD.matcher(shardId);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static int compareOrder(Optional<Comparable<?>> a, Optional<Comparable<?>> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return Boolean.compare(a.isPresent(), b.isPresent());
        }
        Object x = a.get();
        Object y = b.get();
        if (x instanceof BigDecimal m && y instanceof BigDecimal n) {
            return m.compareTo(n);
        }
        if (x instanceof BigDecimal) {
            return -1;
        }
        if (y instanceof BigDecimal) {
            return 1;
        }
        return x.toString().compareTo(y.toString());
    }
}
