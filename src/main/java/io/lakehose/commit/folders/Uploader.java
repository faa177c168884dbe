package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.sink.ObjectStore;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

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
    /** Start time (nanos) of every upload in flight, to tell a stuck upload from a slow stream. */
    private final Map<Object, Long> startedNanos = new ConcurrentHashMap<>();

    public Uploader(ObjectStore store, long maxInFlightBytes) {
        this.store = store;
        this.maxPermits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxInFlightBytes / PERMIT_BYTES));
        this.inFlight = new Semaphore(maxPermits);
    }

    /**
     * Runs {@code upload} for {@code file} once {@code after} has completed successfully (blocking
     * the caller while too much is in flight), then deletes the spool file. If {@code after}
     * fails, {@code upload} never runs and the returned future fails too: a shard's files of one
     * partition reach the store in order and without gaps.
     */
    public <T> CompletableFuture<T> upload(SealedFile file, CompletableFuture<?> after,
                                           Supplier<CompletableFuture<T>> upload) throws InterruptedException {
        int permits = (int) Math.min(maxPermits, Math.max(1, file.bytes() / PERMIT_BYTES));
        inFlight.acquire(permits);
        Object token = new Object();
        CompletableFuture<T> put = after.thenCompose(previous -> {
            startedNanos.put(token, System.nanoTime());
            try {
                return upload.get();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        // The caller's future is a separate one: cancelling it (a lost lease) must not skip the
        // release, which a dependent of put would (a cancelled future runs no whenComplete action).
        CompletableFuture<T> done = new CompletableFuture<>();
        put.whenComplete((ok, err) -> {
            startedNanos.remove(token);
            inFlight.release(permits);
            file.deleteSpoolFile();
            if (err != null) {
                done.completeExceptionally(err);
            } else {
                done.complete(ok);
            }
        });
        return done;
    }

    /** Age of the oldest upload still in flight, in milliseconds; 0 when none is. */
    public long oldestUploadAgeMillis() {
        long now = System.nanoTime();
        return startedNanos.values().stream().mapToLong(t -> (now - t) / 1_000_000L).max().orElse(0);
    }

    public ObjectStore store() {
        return store;
    }
}
