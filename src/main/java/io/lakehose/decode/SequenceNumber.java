package io.lakehose.decode;

import java.util.Objects;

/**
 * Position of a record in its shard: the Kinesis sequence number (a decimal string of up to
 * 128 bits) plus KCL's sub-sequence number for de-aggregated KPL records (0 otherwise).
 *
 * <p>Compared numerically without BigInteger: for non-negative decimals without leading zeros a
 * longer string is larger, and equal lengths compare lexicographically.
 */
public record SequenceNumber(String digits, long subSequence) implements Comparable<SequenceNumber> {

    public SequenceNumber {
        Objects.requireNonNull(digits, "sequence number");
        if (digits.isEmpty()) {
            throw new IllegalArgumentException("sequence number must not be empty");
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("sequence number is not decimal: " + digits);
            }
        }
        digits = stripLeadingZeros(digits);
        if (subSequence < 0) {
            throw new IllegalArgumentException("sub-sequence number must not be negative");
        }
    }

    public static SequenceNumber of(long sequence) {
        return new SequenceNumber(Long.toString(sequence), 0);
    }

    private static String stripLeadingZeros(String s) {
        int i = 0;
        while (i < s.length() - 1 && s.charAt(i) == '0') {
            i++;
        }
        return i == 0 ? s : s.substring(i);
    }

    @Override
    public int compareTo(SequenceNumber o) {
        int c = Integer.compare(digits.length(), o.digits.length());
        if (c == 0) {
            c = digits.compareTo(o.digits);
        }
        return c != 0 ? c : Long.compare(subSequence, o.subSequence);
    }

    /** The form used in object names: digits, plus ".sub" for de-aggregated records. */
    @Override
    public String toString() {
        return subSequence == 0 ? digits : digits + "." + subSequence;
    }

    /** Inverse of {@link #toString()}. */
    public static SequenceNumber parse(String text) {
        int dot = text.indexOf('.');
        return dot < 0 ? new SequenceNumber(text, 0)
                : new SequenceNumber(text.substring(0, dot), Long.parseLong(text.substring(dot + 1)));
    }
}
