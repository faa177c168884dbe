package io.lakehose.checkpoint;

/** A checkpoint could not be written; {@link #leaseLost()} says whether it ever can be again. */
public final class CheckpointException extends Exception {
    private final boolean leaseLost;

    public CheckpointException(String message, boolean leaseLost, Throwable cause) {
        super(message, cause);
        this.leaseLost = leaseLost;
    }

    public boolean leaseLost() {
        return leaseLost;
    }
}
