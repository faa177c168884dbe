package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shard's uploads. A shard's files of one partition directory are uploaded one after the
 * other (the next waits for the previous to succeed), so the objects of a partition never leave
 * a gap: the highest range found there tells how far the shard's records of it are stored.
 */
final class FolderShardCommitter implements ShardCommitter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Uploader uploader;
    private final LakeHighWaterMarks storedMarks;
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();
    /** The last upload started per directory: the next file of that directory waits for it. */
    private final Map<String, CompletableFuture<Void>> lastByDirectory = new ConcurrentHashMap<>();

    /** @param storedMarks null when nothing can be in the lake yet (convert) */
    FolderShardCommitter(Uploader uploader, LakeHighWaterMarks storedMarks) {
        this.uploader = uploader;
        this.storedMarks = storedMarks;
    }

    @Override
    public boolean isCommitted(String directory, SequenceNumber sequence) {
        return storedMarks != null && storedMarks.isStored(directory, sequence);
    }

    @Override
    public CompletableFuture<Void> commit(SealedFile file) throws InterruptedException {
        CompletableFuture<Void> previous = lastByDirectory.getOrDefault(file.directory(), DONE);
        CompletableFuture<Void> put = uploader.upload(file, previous).thenApply(stored -> null);
        inFlight.add(put);
        lastByDirectory.put(file.directory(), put);
        put.whenComplete((ok, err) -> {
            inFlight.remove(put);
            if (err == null) {
                lastByDirectory.remove(file.directory(), put); // keep the map small
            }
        });
        return put;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
    }

    @Override
    public void abandon() {
        // Uploads already handed to the store finish on their own; the new owner's high-water
        // marks decide what it re-writes.
    }
}
