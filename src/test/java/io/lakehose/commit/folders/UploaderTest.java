package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;
import io.lakehose.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Backpressure and ordering of uploads, with a store whose puts complete when the test says so. */
class UploaderTest {

    @TempDir
    Path dir;

    /** Our ObjectStore interface with puts that stay pending until completed by the test. */
    static final class ManualStore implements ObjectStore {
        final Map<String, CompletableFuture<StoredObject>> puts = new ConcurrentHashMap<>();
        final AtomicInteger started = new AtomicInteger();

        @Override
        public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
            started.incrementAndGet();
            return puts.computeIfAbsent(key, k -> new CompletableFuture<>());
        }

        void complete(String key) {
            puts.computeIfAbsent(key, k -> new CompletableFuture<>()).complete(new StoredObject(key, 1));
        }

        @Override
        public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                     Map<String, String> metadata) {
            return put(file, key, contentType).thenApply(Optional::of);
        }

        @Override
        public Optional<Map<String, String>> metadata(String key) {
            return Optional.empty();
        }

        @Override
        public List<String> list(String keyPrefix) {
            return List.of();
        }

        @Override
        public Optional<byte[]> read(String key) {
            return Optional.empty();
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException("the uploader never deletes");
        }

        @Override
        public String describe() {
            return "manual";
        }

        @Override
        public void close() {
        }
    }

    private SealedFile file(String key, int bytes) throws IOException {
        Path p = Files.write(dir.resolve(key.replace('/', '_')), new byte[bytes]);
        return new SealedFile(p, key.substring(0, key.indexOf('/')), ".x", "x", bytes, 1, SequenceNumber.of(1),
                SequenceNumber.of(1), 0);
    }

    /** Uploads a new file of {@code bytes} bytes to {@code key} once {@code after} is done. */
    private CompletableFuture<StoredObject> upload(Uploader uploader, String key, int bytes, CompletableFuture<?> after)
            throws IOException, InterruptedException {
        SealedFile f = file(key, bytes);
        return uploader.upload(f, after, () -> uploader.store().put(f.spoolFile(), key, f.contentType()));
    }

    @Test
    void aShardWaitsWhenTooManyBytesAreUploadingInsteadOfBufferingMore() throws Exception {
        ManualStore store = new ManualStore();
        Uploader uploader = new Uploader(store, 256 * 1024); // room for two 128 KiB files
        upload(uploader, "a/1", 128 * 1024, CompletableFuture.completedFuture(null));
        upload(uploader, "b/1", 128 * 1024, CompletableFuture.completedFuture(null));

        AtomicReference<Thread> caller = new AtomicReference<>();
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> {
            caller.set(Thread.currentThread());
            try {
                upload(uploader, "c/1", 128 * 1024, CompletableFuture.completedFuture(null));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until("the third upload blocks in the uploader", Duration.ofSeconds(10),
                () -> caller.get() != null && Await.isBlockedIn(caller.get(), Uploader.class));
        assertThat(third).as("blocked while 256 KiB are in flight").isNotDone();
        assertThat(store.started).hasValue(2);

        store.complete("a/1");
        third.get(5, TimeUnit.SECONDS);
        assertThat(store.started).hasValue(3);
    }

    @Test
    void aFileWaitsForThePreviousFileOfItsPartitionAndIsNotUploadedIfThatFails() throws Exception {
        ManualStore store = new ManualStore();
        Uploader uploader = new Uploader(store, 1 << 30);
        CompletableFuture<StoredObject> first = upload(uploader, "p/1", 10, CompletableFuture.completedFuture(null));
        CompletableFuture<StoredObject> second = upload(uploader, "p/2", 10, first);
        assertThat(store.started).as("second waits for first").hasValue(1);
        store.puts.get("p/1").completeExceptionally(new IOException("boom"));
        assertThat(second).failsWithin(5, TimeUnit.SECONDS);
        assertThat(store.started).as("never uploaded after a gap").hasValue(1);
    }

    /**
     * A lost lease cancels the shard's uploads (FolderShardCommitter.abandon): the bytes they held
     * must come back once their puts end, and they must leave the stuck-upload clock. Cancelling
     * the returned future used to skip both, so other shards lost that room for good and /health
     * reported an upload "in flight" for ever.
     */
    @Test
    void aCancelledUploadGivesItsRoomBackAndLeavesTheStuckUploadClockWhenItsPutEnds() throws Exception {
        ManualStore store = new ManualStore();
        Uploader uploader = new Uploader(store, 128 * 1024); // room for one 128 KiB file
        CompletableFuture<StoredObject> first = upload(uploader, "a/1", 128 * 1024, CompletableFuture.completedFuture(null));
        first.cancel(false);
        store.puts.get("a/1").completeExceptionally(new IOException("cancelled by the lease loss"));

        assertThat(uploader.oldestUploadAgeMillis()).as("uploads in flight after the put ended").isZero();
        CompletableFuture<StoredObject> second = CompletableFuture.supplyAsync(() -> {
            try {
                return upload(uploader, "b/1", 128 * 1024, CompletableFuture.completedFuture(null));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).thenCompose(f -> f);
        Await.until("the next file's put starts", Duration.ofSeconds(10), () -> store.started.get() == 2);
        store.complete("b/1");
        assertThat(second).succeedsWithin(5, TimeUnit.SECONDS);
    }
}
