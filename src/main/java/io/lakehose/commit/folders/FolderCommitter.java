package io.lakehose.commit.folders;

import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.sink.ObjectStore;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The folder adapter of the commit port: every finished file becomes one object of the
 * Hive-style layout, visible (committed) as soon as its conditional put succeeds, and fenced
 * against a stale writer of the same shard by S3's {@code If-None-Match: *} (docs/design.md,
 * "The fence for folders"; the protocol is on {@link FolderShardCommitter}). Recovery reads a
 * shard's marks from its own objects, scoped by stream.
 */
public final class FolderCommitter implements LakeCommitter {

    private final Uploader uploader;
    private final Function<String, List<String>> legacyDirectories;
    private final String stream;
    private final Map<String, FileTrimmer> trimmers;
    private final Duration uploadStuckAfter;
    private final FenceCounters counters = new FenceCounters();
    /** With {@code lake.format: both} the tables' adapter shares this committer for its error files and binds and closes it too. */
    private final Set<MeterRegistry> boundTo = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ExecutorService resolver = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fence-resolver");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param stream           the stream whose shards this process writes: scopes every object name
     * @param trimmers         cut a file to its rows after a mark, by file extension
     * @param maxInFlightBytes bytes uploading at once, over all shards (backpressure)
     * @param uploadStuckAfter how long one upload may run before {@link #health()} reports it
     */
    public FolderCommitter(ObjectStore store, String stream, Map<String, FileTrimmer> trimmers, long maxInFlightBytes,
                           Duration uploadStuckAfter) {
        this(store, stream, trimmers, maxInFlightBytes, uploadStuckAfter, directory -> List.of());
    }

    /**
     * @param legacyDirectories where the release before put a directory's records (recovery reads
     *                          its marks there too; {@code LakeLayout#legacyDirectories})
     */
    public FolderCommitter(ObjectStore store, String stream, Map<String, FileTrimmer> trimmers, long maxInFlightBytes,
                           Duration uploadStuckAfter, Function<String, List<String>> legacyDirectories) {
        this.legacyDirectories = legacyDirectories;
        this.uploader = new Uploader(store, maxInFlightBytes);
        this.stream = stream;
        this.trimmers = Map.copyOf(trimmers);
        this.uploadStuckAfter = uploadStuckAfter;
    }

    @Override
    public ShardCommitter openShard(String shardId, boolean recover) {
        return new FolderShardCommitter(uploader, new ObjectNames(stream, shardId), recover, trimmers, resolver,
                counters, legacyDirectories);
    }

    public FenceCounters fenceCounters() {
        return counters;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!boundTo.add(registry)) {
            return;
        }
        Tags tags = Tags.of("stream", stream);
        FunctionCounter.builder("lakehose.fence.races.lost", counters, c -> c.racesLost.sum()).tags(tags)
                .description("Objects another writer of the same shard stored first (a stale or a new owner); "
                        + "this writer went on from where that object ended")
                .register(registry);
        FunctionCounter.builder("lakehose.fence.files.trimmed", counters, c -> c.filesTrimmed.sum()).tags(tags)
                .description("Files cut to the rows after another writer's object").register(registry);
        FunctionCounter.builder("lakehose.fence.files.already.stored", counters, c -> c.filesAlreadyStored.sum())
                .tags(tags).description("Files whose rows were all in the lake already").register(registry);
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
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        resolver.shutdownNow();
        uploader.store().close();
    }
}
