package io.lakehose.errorout;

import io.lakehose.decode.DecodeException;
import io.lakehose.decode.SourceRecord;

/** A record that could not be decoded, with its reason: one line of the error output. */
public record ErrorRecord(SourceRecord source, String errorCode, String errorMessage) {

    public static ErrorRecord of(SourceRecord source, DecodeException e) {
        return new ErrorRecord(source, e.code().code(), e.getMessage());
    }
}
