package io.lakehose.pipeline;

/**
 * An upload failed after the store's retries: the shard must stop advancing its checkpoint and
 * the process should exit non-zero so the records are read again by a new worker.
 */
public final class UploadFailedException extends RuntimeException {
    public UploadFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
