package io.lakehose.backfill;

/**
 * The backfill was asked for something it cannot do as given: a bad --read-rate, a path that is
 * no export, arguments that contradict the saved progress. A usage error (exit 2), unlike the
 * failures of a running backfill.
 */
public final class BackfillArgumentException extends IllegalArgumentException {
    public BackfillArgumentException(String message) {
        super(message);
    }
}
