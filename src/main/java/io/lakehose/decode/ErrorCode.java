package io.lakehose.decode;

import java.util.Locale;

/**
 * Why a record could not be decoded. The lower-case name is the {@code error_code} field and the
 * {@code reason=} partition of the error output, so names are part of the lake's contract.
 */
public enum ErrorCode {
    /** Not well-formed JSON: truncated, bad syntax, trailing garbage. */
    INVALID_JSON,
    /** The bytes are not valid UTF-8. */
    INVALID_UTF8,
    /** Well-formed JSON whose top level is not an object. */
    NOT_AN_OBJECT,
    /** A JSON object that lacks what a DynamoDB change record must have. */
    NOT_A_CDC_RECORD,
    /** An attribute value whose type tag is not one of S N B BOOL NULL M L SS NS BS. */
    UNKNOWN_ATTRIBUTE_TYPE,
    /** A known type tag with a value that does not fit it (N that is no number, bad base64...). */
    INVALID_ATTRIBUTE_VALUE,
    /** An empty line or record. */
    EMPTY_RECORD,
    /** A tableName that is no DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -): never a path. */
    INVALID_TABLE_NAME,
    /** An object with the same key twice, at any depth: which value is meant cannot be known. */
    DUPLICATE_KEY,
    /** An event time before 2012 or more than a day ahead of the clock: never a new partition. */
    EVENT_TIME_OUT_OF_RANGE,
    /**
     * A table name that is another table's where the lake writes (Iceberg: {@code ORDERS} for
     * {@code orders}): its rows must not go into that table, nor stop the shard.
     */
    TABLE_NAME_CONFLICT;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
