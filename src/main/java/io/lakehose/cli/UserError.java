package io.lakehose.cli;

/** A problem the user can fix (bad path, bad config): printed as one line, exit code {@link #exitCode}. */
final class UserError extends RuntimeException {
    final int exitCode;

    UserError(String message) {
        this(message, 2);
    }

    UserError(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }
}
