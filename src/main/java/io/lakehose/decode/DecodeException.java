package io.lakehose.decode;

/** A record that cannot become a row; carries the error code for the error output. */
public final class DecodeException extends Exception {
    private final ErrorCode code;

    public DecodeException(ErrorCode code, String message) {
        super(message, null, false, false); // no stack trace: bad input is expected and frequent
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
