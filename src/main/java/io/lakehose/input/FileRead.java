package io.lakehose.input;

/**
 * One input file as {@code convert} read it, for the summary.
 *
 * @param number  its number in input order (the prefix of its records' sequence numbers)
 * @param format  how records were cut: "lines" or "concatenated"
 * @param records records read from it, broken ones included
 */
public record FileRead(int number, String name, boolean gzip, String format, long records) {
}
