package io.lakehose.commit.folders;

import io.lakehose.decode.SequenceNumber;

import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of one shard's objects in the folder layout: {@code <dir>/<stream>~<shard>~<start>.<ext>}
 * (docs/design.md, "Object names"). The name is a pure function of the stream, the shard and the
 * first record the object holds, so two writers of the same range race for one key.
 *
 * <p>{@code <start>} is the sequence number in base 36, left-padded to {@value #WIDTH} characters
 * (Kinesis sequence numbers have 56 decimal digits, which fit), followed by {@code _<sub>} in
 * base 36, padded to {@value #SUB_WIDTH}, for a de-aggregated KPL record. Names of one shard thus sort in shard order and stay
 * short. '~' occurs in neither a stream name nor a shard id, so one shard's names never start
 * with another's prefix.
 */
public record ObjectNames(String stream, String shardId) {

    static final int WIDTH = 37;
    /** Long.MAX_VALUE in base 36. */
    static final int SUB_WIDTH = 13;
    private static final String SEPARATOR = "~";
    /** The start (base 36, at least the fixed width; an optional sub-sequence) and one of the writers' extensions. */
    private static final Pattern NAME = Pattern.compile(
            "([0-9a-z]{" + WIDTH + ",}(?:_[0-9a-z]{" + SUB_WIDTH + ",})?)\\.(?:parquet|jsonl|jsonl\\.gz)");

    public ObjectNames {
        for (String part : new String[] {stream, shardId}) {
            if (part == null || part.isEmpty() || part.contains(SEPARATOR) || part.contains("/")) {
                throw new IllegalArgumentException("stream and shard must be non-empty without '~' or '/': " + part);
            }
        }
    }

    /** The key prefix of every object of this shard in {@code directory}. */
    public String prefix(String directory) {
        return directory + "/" + stream + SEPARATOR + shardId + SEPARATOR;
    }

    /** The key of the object of {@code directory} whose first record is {@code start}. */
    public String key(String directory, SequenceNumber start, String extension) {
        return prefix(directory) + encode(start) + extension;
    }

    /**
     * The first record of an object of this shard under {@code key}, or empty if the key is not
     * exactly such a name (a copy, a {@code .bak}, an upload in progress that an emulator lists
     * under a temporary name are not the shard's objects).
     */
    public Optional<SequenceNumber> startOf(String directory, String key) {
        String prefix = prefix(directory);
        if (!key.startsWith(prefix)) {
            return Optional.empty();
        }
        Matcher m = NAME.matcher(key.substring(prefix.length()));
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(decode(m.group(1)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static String encode(SequenceNumber s) {
        String digits = new BigInteger(s.digits()).toString(36);
        StringBuilder out = new StringBuilder(WIDTH + 14);
        for (int i = digits.length(); i < WIDTH; i++) {
            out.append('0');
        }
        out.append(digits);
        if (s.subSequence() != 0) {
            String sub = Long.toString(s.subSequence(), 36);
            out.append('_');
            for (int i = sub.length(); i < SUB_WIDTH; i++) {
                out.append('0');
            }
            out.append(sub);
        }
        return out.toString();
    }

    static SequenceNumber decode(String text) {
        int underscore = text.indexOf('_');
        String main = underscore < 0 ? text : text.substring(0, underscore);
        long sub = underscore < 0 ? 0 : Long.parseLong(text.substring(underscore + 1), 36);
        if (main.isEmpty() || !main.chars().allMatch(c -> Character.digit(c, 36) >= 0)) {
            throw new IllegalArgumentException("not a base-36 sequence number: " + text);
        }
        return new SequenceNumber(new BigInteger(main, 36).toString(), sub);
    }
}
