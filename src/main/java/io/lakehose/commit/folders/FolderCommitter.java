package io.lakehose.commit.folders;

import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.sink.ObjectStore;

import java.time.Duration;
import java.util.Optional;

/**
 * The folder adapter of the commit port: every finished file becomes one object of the
 * Hive-style layout, visible (committed) as soon as its put completes (docs/design.md, "Commit
 * protocol"). Recovery reads a shard's high-water mark per partition from its object names.
 */
public final class FolderCommitter implements LakeCommitter {

    private final Uploader uploader;
    private final Duration uploadStuckAfter;

    /**
     * @param maxInFlightBytes bytes uploading at once, over all shards (backpressure)
     * @param uploadStuckAfter how long one upload may run before {@link #health()} reports it
     */
    public FolderCommitter(ObjectStore store, long maxInFlightBytes, Duration uploadStuckAfter) {
        this.uploader = new Uploader(store, maxInFlightBytes);
        this.uploadStuckAfter = uploadStuckAfter;
    }

    @Override
    public ShardCommitter openShard(String shardId, boolean recover) {
        return new FolderShardCommitter(uploader, recover ? new LakeHighWaterMarks(uploader.store(), shardId) : null);
    }

    @Override
    public Optional<String> health() {
        long stuck = uploader.oldestUploadAgeMillis();
        return stuck > uploadStuckAfter.toMillis()
                ? Optional.of("an upload has been in flight for " + stuck / 1000 + " s")
                : Optional.empty();
    }

    @Override
    public String describe() {
        return uploader.store().describe();
    }

    @Override
    public void close() {
        uploader.store().close();
    }
}
