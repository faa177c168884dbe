package io.lakehose.commit.iceberg;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.LeaseLostException;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Iceberg adapter of the commit port (docs/design.md, "Tables"): the worker's shards hand
 * over Parquet files, which are uploaded to their change-log table's data location at once; every
 * commit interval the shards finish their open files at a barrier, and one thread commits what
 * all shards finished, one fenced snapshot per table ({@link WatermarkFence}). A file counts as
 * committed (its records checkpointable) only when its snapshot is.
 *
 * <p>A refused commit means another writer of the shard (a stale owner, or the new one) committed
 * first: this writer adopts the table's watermark for the shard, deletes the files it uploaded,
 * cuts its files to the rows after that watermark and commits those, like the folder fence's
 * loser. No record is in the table twice, none is lost.
 */
public final class IcebergCommitter implements LakeCommitter {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergCommitter.class);
    private static final int REFUSALS_PER_COMMIT = 10;

    /** A file handed over: its spool file, its upload, and the future the pipeline waits on. */
    record PendingFile(String table, SealedFile spool, CompletableFuture<DataFile> uploaded,
                       CompletableFuture<Committed> done) {
    }

    /** What one shard finished at a barrier: files covering every data record up to {@code position}. */
    record Unit(IcebergShardCommitter shard, SequenceNumber position, List<PendingFile> files) {
    }

    private final Catalog catalog;
    private final ChangeLogTables tables;
    private final LakeLayout layout;
    private final String stream;
    private final LakeCommitter errors;
    private final FileTrimmer trimmer;
    private final Duration interval;
    private final AtomicLong sealEpoch = new AtomicLong();
    /** Per shard, its finished units in order (a shard's units must commit in order). Guarded by itself. */
    private final Map<IcebergShardCommitter, ArrayDeque<Unit>> ready = new LinkedHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "iceberg-commit"));
    private final ExecutorService uploads = Executors.newFixedThreadPool(2, r -> daemon(r, "iceberg-upload"));
    private volatile long nextSealNanos;
    private volatile String lastFailure;
    private Counter commits;
    private Counter refused;
    private Counter retries;
    private Counter files;
    private Counter bytes;
    private Timer latency;

    /**
     * @param errors  where error files go (the folder layout)
     * @param trimmer cuts a Parquet file to its rows after a watermark
     */
    public IcebergCommitter(Catalog catalog, IcebergSettings settings, LakeLayout layout, String stream,
                            LakeCommitter errors, FileTrimmer trimmer) {
        this.catalog = catalog;
        this.tables = new ChangeLogTables(catalog, settings);
        this.layout = layout;
        this.stream = stream;
        this.errors = errors;
        this.trimmer = trimmer;
        this.interval = settings.commitInterval();
        this.nextSealNanos = System.nanoTime() + interval.toNanos();
        bindTo(new SimpleMeterRegistry()); // until run binds the service's registry
        loop.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public ShardCommitter openShard(String shardId, boolean recover) {
        // Recovery or not, the fence needs the table's watermark of the shard: it is always read.
        return new IcebergShardCommitter(this, shardId, errors.openShard(shardId, recover));
    }

    @Override
    public synchronized void bindTo(MeterRegistry target) {
        Tags tags = Tags.of("stream", stream);
        commits = Counter.builder("lakehose.iceberg.commits").tags(tags)
                .description("Snapshots committed to change-log tables").register(target);
        refused = Counter.builder("lakehose.iceberg.commits.refused").tags(tags)
                .description("Commits the fence refused: another writer of a shard committed first").register(target);
        retries = Counter.builder("lakehose.iceberg.commit.retries").tags(tags)
                .description("Commits tried again after a concurrent commit or an unknown outcome").register(target);
        files = Counter.builder("lakehose.iceberg.files.committed").tags(tags)
                .description("Data files committed").register(target);
        bytes = Counter.builder("lakehose.iceberg.committed").baseUnit("bytes").tags(tags)
                .description("Bytes of data files committed").register(target);
        latency = Timer.builder("lakehose.iceberg.commit.duration").tags(tags).publishPercentileHistogram()
                .description("Time of one table commit, retries included").register(target);
        errors.bindTo(target);
    }

    @Override
    public Optional<String> health() {
        Optional<String> folder = errors.health();
        return folder.isPresent() ? folder : Optional.ofNullable(lastFailure);
    }

    @Override
    public String describe() {
        return "iceberg catalog " + catalog.name() + " (errors: " + errors.describe() + ")";
    }

    @Override
    public void close() {
        loop.shutdownNow();
        uploads.shutdownNow();
        errors.close();
        if (catalog instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.warn("closing the catalog: {}", e.toString());
            }
        }
    }

    /** Commits the fence refused so far (another writer of a shard committed first). */
    public double refusedCommits() {
        return refused.count();
    }

    long sealEpoch() {
        return sealEpoch.get();
    }

    Optional<String> tableOf(String directory) {
        return layout.tableOf(directory);
    }

    Optional<SequenceNumber> watermark(String table, String shardId) {
        return Optional.ofNullable(WatermarkFence.current(tables.table(table)).get(shardId));
    }

    PendingFile upload(IcebergShardCommitter shard, String table, SealedFile file) {
        CompletableFuture<DataFile> uploaded = CompletableFuture.supplyAsync(() -> uploadNow(shard, table, file), uploads);
        return new PendingFile(table, file, uploaded, new CompletableFuture<>());
    }

    private DataFile uploadNow(IcebergShardCommitter shard, String table, SealedFile file) {
        try {
            return DataFileUpload.upload(tables.table(table), file, stream + "~" + shard.shardId());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + file.spoolFile() + " to the table of " + table, e);
        }
    }

    void enqueue(Unit unit) {
        synchronized (ready) {
            ready.computeIfAbsent(unit.shard(), s -> new ArrayDeque<>()).addLast(unit);
        }
    }

    void commitSoon() {
        loop.execute(this::commitReady);
    }

    /** Lease lost: the shard's queued and open files are never committed; their uploads are deleted. */
    void drop(IcebergShardCommitter shard, List<PendingFile> open) {
        List<PendingFile> dropped = new ArrayList<>(open);
        synchronized (ready) {
            ArrayDeque<Unit> queued = ready.remove(shard);
            if (queued != null) {
                queued.forEach(u -> dropped.addAll(u.files()));
            }
        }
        for (PendingFile f : dropped) {
            f.uploaded().thenAccept(d -> deleteQuietly(f.table(), d));
            f.done().completeExceptionally(new LeaseLostException(shard.shardId()));
            f.spool().deleteSpoolFile();
        }
    }

    private void tick() {
        if (System.nanoTime() >= nextSealNanos) {
            sealEpoch.incrementAndGet(); // the shards finish their open files at their next batch
            nextSealNanos = System.nanoTime() + interval.toNanos();
        }
        commitReady();
    }

    /** Commits every unit whose uploads are done, one snapshot per table; runs on the commit thread. */
    private synchronized void commitReady() {
        List<Unit> units = new ArrayList<>();
        synchronized (ready) {
            for (ArrayDeque<Unit> queue : ready.values()) {
                // In order; a unit still uploading holds back its shard's later ones.
                while (!queue.isEmpty() && queue.peekFirst().files().stream().allMatch(f -> f.uploaded().isDone())) {
                    units.add(queue.pollFirst());
                }
            }
            ready.values().removeIf(ArrayDeque::isEmpty);
        }
        Map<String, List<Part>> byTable = new LinkedHashMap<>();
        for (Unit u : units) {
            Map<String, List<PendingFile>> files = new LinkedHashMap<>();
            for (PendingFile f : u.files()) {
                files.computeIfAbsent(f.table(), t -> new ArrayList<>()).add(f);
            }
            files.forEach((table, list) -> byTable.computeIfAbsent(table, t -> new ArrayList<>())
                    .add(new Part(u.shard(), u.position(), new ArrayList<>(list))));
        }
        byTable.forEach(this::commitTable);
    }

    /** One shard's files of one table in a commit, and the position they cover. */
    private record Part(IcebergShardCommitter shard, SequenceNumber position, List<PendingFile> files) {
    }

    private void commitTable(String table, List<Part> units) {
        long start = System.nanoTime();
        List<Part> parts = new ArrayList<>(units);
        try {
            for (int attempt = 0; attempt < REFUSALS_PER_COMMIT && !parts.isEmpty(); attempt++) {
                List<Part> live = mergeByShard(parts);
                List<DataFile> dataFiles = new ArrayList<>();
                List<WatermarkFence.Advance> advances = new ArrayList<>();
                for (Part p : live) {
                    for (PendingFile f : p.files()) {
                        dataFiles.add(f.uploaded().join());
                    }
                    advances.add(new WatermarkFence.Advance(p.shard().shardId(), p.shard().seen(table).get(), p.position()));
                }
                WatermarkFence.Outcome outcome = commit(table, dataFiles, advances);
                if (outcome.committed()) {
                    finish(table, live);
                    return;
                }
                refused.increment();
                List<Part> rest = adopt(table, live, outcome.refused());
                parts.clear();
                parts.addAll(rest);
            }
            if (!parts.isEmpty()) {
                throw new IllegalStateException("commit to the table of " + table + " refused " + REFUSALS_PER_COMMIT
                        + " times in a row");
            }
        } catch (CommitFailedException e) {
            // Concurrent commits beyond Iceberg's own retries: the units wait for the next tick.
            retries.increment();
            requeue(parts);
        } catch (RuntimeException e) {
            lastFailure = "commit to the Iceberg table of " + table + " failed: " + e.getMessage();
            LOG.error("{}; the shards' records are not checkpointed and will be re-read", lastFailure, e);
            parts.forEach(p -> p.files().forEach(f -> f.done().completeExceptionally(e)));
        } finally {
            latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** A shard with several units in one commit: their files together, up to the last position. */
    private static List<Part> mergeByShard(List<Part> parts) {
        Map<IcebergShardCommitter, Part> merged = new LinkedHashMap<>();
        for (Part p : parts) {
            merged.merge(p.shard(), p, (a, b) -> {
                List<PendingFile> all = new ArrayList<>(a.files());
                all.addAll(b.files());
                return new Part(a.shard(), b.position(), all);
            });
        }
        return new ArrayList<>(merged.values());
    }

    private WatermarkFence.Outcome commit(String table, List<DataFile> dataFiles, List<WatermarkFence.Advance> advances) {
        Table t = tables.table(table);
        try {
            t.refresh();
            return WatermarkFence.append(t, dataFiles, advances);
        } catch (CommitStateUnknownException e) {
            // The catalog may have taken it: look before trying again, never write twice.
            retries.increment();
            Map<String, SequenceNumber> now = WatermarkFence.current(tables.reload(table));
            boolean landed = advances.stream().allMatch(a -> a.to().equals(now.get(a.shardId())));
            if (landed) {
                return new WatermarkFence.Outcome(true, Map.of());
            }
            throw new CommitFailedException(e, "commit state unknown and not visible in %s; trying again", table);
        }
    }

    private void finish(String table, List<Part> parts) {
        commits.increment();
        for (Part p : parts) {
            p.shard().saw(table, Optional.of(p.position()));
            for (PendingFile f : p.files()) {
                DataFile d = f.uploaded().join();
                files.increment();
                bytes.increment(d.fileSizeInBytes());
                f.done().complete(new Committed(Optional.of(d.location()), d.recordCount(), d.fileSizeInBytes()));
                f.spool().deleteSpoolFile();
            }
        }
        lastFailure = null;
    }

    /**
     * The refused shards take the table's watermark as theirs and keep only their rows after it
     * (their uploaded files are deleted, the rest re-uploaded); the others go again as they were.
     */
    private List<Part> adopt(String table, List<Part> parts, Map<String, Optional<SequenceNumber>> refusedMarks) {
        List<Part> next = new ArrayList<>();
        for (Part p : parts) {
            Optional<SequenceNumber> base = refusedMarks.get(p.shard().shardId());
            if (base == null) {
                next.add(p);
                continue;
            }
            LOG.info("shard {}: another writer committed the table of {} up to {}; going on from there",
                    p.shard().shardId(), table, base.map(Object::toString).orElse("nothing"));
            p.shard().saw(table, base);
            List<PendingFile> rest = new ArrayList<>();
            for (PendingFile f : p.files()) {
                deleteQuietly(table, f.uploaded().join());
                Optional<SealedFile> after = rowsAfter(f.spool(), base);
                if (after.isEmpty()) {
                    f.done().complete(Committed.NOTHING_NEW);
                    f.spool().deleteSpoolFile();
                } else {
                    DataFile d = uploadNow(p.shard(), table, after.get());
                    after.get().deleteSpoolFile();
                    rest.add(new PendingFile(table, f.spool(), CompletableFuture.completedFuture(d), f.done()));
                }
            }
            boolean covered = base.isPresent() && base.get().compareTo(p.position()) >= 0;
            if (!rest.isEmpty() && !covered) {
                next.add(new Part(p.shard(), p.position(), rest));
            } else {
                rest.forEach(f -> {
                    deleteQuietly(table, f.uploaded().join());
                    f.done().complete(Committed.NOTHING_NEW);
                });
            }
        }
        return next;
    }

    private Optional<SealedFile> rowsAfter(SealedFile file, Optional<SequenceNumber> mark) {
        if (mark.isEmpty()) {
            return Optional.of(file);
        }
        try {
            return trimmer.rowsAfter(file, mark.get());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot trim " + file.spoolFile(), e);
        }
    }

    /** Back to the front of their shards' queues, for the next tick. */
    private void requeue(List<Part> parts) {
        synchronized (ready) {
            for (int i = parts.size() - 1; i >= 0; i--) {
                Part p = parts.get(i);
                ready.computeIfAbsent(p.shard(), s -> new ArrayDeque<>())
                        .addFirst(new Unit(p.shard(), p.position(), p.files()));
            }
        }
    }

    private void deleteQuietly(String table, DataFile file) {
        try {
            tables.table(table).io().deleteFile(file.location());
        } catch (RuntimeException e) {
            LOG.warn("could not delete the uncommitted data file {} (an orphan; maintenance removes it): {}",
                    file.location(), e.toString());
        }
    }

}
