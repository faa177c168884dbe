package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Hands finished files to the object store with backpressure: at most {@code maxInFlightBytes}
 * are uploading at once, and a shard that finishes a file while the limit is reached waits.
 * That is what keeps heap and spool disk bounded when the store is slower than the stream.
 */
public final class Uploader {

    private static final int PERMIT_BYTES = 64 * 1024; // semaphore permits are ints: count in 64 KiB units

    private final ObjectStore store;
    private final Semaphore inFlight;
    private final int maxPermits;
    /** Start time (nanos) of every put in flight, to tell a stuck upload from a slow stream. */
    private final java.util.Map<String, Long> startedNanos = new java.util.concurrent.ConcurrentHashMap<>();

    public Uploader(ObjectStore store, long maxInFlightBytes) {
        this.store = store;
        this.maxPermits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxInFlightBytes / PERMIT_BYTES));
        this.inFlight = new Semaphore(maxPermits);
    }

    /**
     * Uploads {@code file} once {@code after} has completed successfully (blocking the caller
     * while too much is in flight). If {@code after} fails, this file is not uploaded and the
     * returned future fails too: a shard's files of one partition reach the store in order and
     * without gaps, which lets a restarted worker trust the highest range it finds there.
     */
    public CompletableFuture<StoredObject> upload(SealedFile file, CompletableFuture<?> after) throws InterruptedException {
        int permits = (int) Math.min(maxPermits, Math.max(1, file.bytes() / PERMIT_BYTES));
        inFlight.acquire(permits);
        CompletableFuture<StoredObject> put = after.thenCompose(previous -> {
            startedNanos.put(file.objectKey(), System.nanoTime());
            try {
                return store.put(file.spoolFile(), file.objectKey(), file.contentType());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        return put.whenComplete((ok, err) -> {
            startedNanos.remove(file.objectKey());
            inFlight.release(permits);
            try {
                Files.deleteIfExists(file.spoolFile());
            } catch (IOException ignored) {
                // the spool directory is cleaned at start
            }
        });
    }

    /** Age of the oldest put still in flight, in milliseconds; 0 when none is. */
    public long oldestUploadAgeMillis() {
        long now = System.nanoTime();
        return startedNanos.values().stream().mapToLong(t -> (now - t) / 1_000_000L).max().orElse(0);
    }

    public ObjectStore store() {
        return store;
    }
}
