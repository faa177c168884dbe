package io.lakehose.errorout;

import io.lakehose.decode.DecodeException;
import io.lakehose.decode.SourceRecord;

import java.util.Optional;

/**
 * A record that could not be decoded, with its reason: one line of the error output.
 *
 * @param table the record's table, when it could be read
 */
public record ErrorRecord(SourceRecord source, String errorCode, String errorMessage, Optional<String> table) {

    public static ErrorRecord of(SourceRecord source, DecodeException e) {
        return new ErrorRecord(source, e.code().code(), e.getMessage(), e.tableName());
    }
}
