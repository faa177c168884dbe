package io.lakehose.pipeline;

import io.lakehose.decode.SequenceNumber;

/**
 * The sequence numbers {@code convert} gives its records: a pure function of the file's number
 * in input order and the record's position in that file (a line number, or the record's number
 * among concatenated records), so the same input gets the same numbers on every run. That is
 * what lets a second conversion of it into the same lake add nothing (docs/design.md, "The fence
 * for folders").
 *
 * <p>File 0's numbers are its positions, so a single file keeps its line numbers. File f &gt; 0
 * gets f followed by its position in {@value #POSITION_DIGITS} digits (file 3, record 42:
 * 3000000000042). Numbers therefore grow with file order, then position: every pipeline sees its
 * records in ascending order, as the commit's marks require.
 */
public final class InputPositions {

    static final int POSITION_DIGITS = 12;

    /** The highest position a file may have: its records are numbered 1 to this. */
    public static final long MAX_POSITION = 999_999_999_999L;

    private InputPositions() {
    }

    public static SequenceNumber sequence(int file, long position) {
        if (file < 0) {
            throw new IllegalArgumentException("file number must not be negative: " + file);
        }
        if (position < 1 || position > MAX_POSITION) {
            throw new IllegalArgumentException("position " + position + " is not between 1 and " + MAX_POSITION);
        }
        if (file == 0) {
            return SequenceNumber.of(position);
        }
        String digits = Long.toString(position);
        return new SequenceNumber(file + "0".repeat(POSITION_DIGITS - digits.length()) + digits, 0);
    }
}
