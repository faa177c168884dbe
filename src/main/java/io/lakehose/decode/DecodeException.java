package io.lakehose.decode;

import java.util.Optional;

/**
 * A record that cannot become a row; carries the error code for the error output, and the
 * record's table when it was read (and valid) before the record failed, so the error lands in
 * that table's error output.
 */
public final class DecodeException extends Exception {
    private final ErrorCode code;
    private final String tableName;

    public DecodeException(ErrorCode code, String message) {
        this(code, message, null);
    }

    private DecodeException(ErrorCode code, String message, String tableName) {
        super(message, null, false, false); // no stack trace: bad input is expected and frequent
        this.code = code;
        this.tableName = tableName;
    }

    /**
     * A record that decoded but that the lake refuses (its table is {@code table}): it goes to the
     * error output like a record that did not decode.
     */
    public static DecodeException refused(ErrorCode code, String message, String table) {
        return new DecodeException(code, message).inTable(table);
    }

    public ErrorCode code() {
        return code;
    }

    /** The record's table, if it was read and is a valid DynamoDB table name. */
    public Optional<String> tableName() {
        return Optional.ofNullable(tableName);
    }

    /** The same error of a record of {@code table} (ignored unless a valid table name). */
    DecodeException inTable(String table) {
        return table == null || !TableNames.isValid(table) || tableName != null ? this
                : new DecodeException(code, getMessage(), table);
    }
}
