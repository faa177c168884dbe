package io.lakehose.commit.iceberg;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.ColumnIds;
import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.LeaseLostException;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.commit.iceberg.state.CurrentStateSettings;
import io.lakehose.commit.iceberg.state.CurrentStateTable;
import io.lakehose.commit.iceberg.state.CurrentStateTables;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
    /** Crash points (tests only, {@link CrashPoints}): a commit's files uploaded, its snapshot not yet made. */
    public static final String UPLOADED = "iceberg.uploaded";
    /** ... the fence passed on an attempt, its snapshot not yet swapped into the catalog. */
    public static final String VALIDATED = "iceberg.validated";
    /** ... its snapshot made, its records not yet counted as committed (so not checkpointed). */
    public static final String COMMITTED = "iceberg.committed";
    /** Logged when the fence refused a commit because another writer's snapshot is ahead (tests count it). */
    public static final String REFUSED_BY_ANOTHER_WRITER = "another writer committed the table of";
    /**
     * ... with a current-state table: the change log's snapshot made, the state table not yet
     * caught up with it (nor the records counted as committed).
     */
    public static final String STATE_PENDING = "iceberg.state.pending";

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
    private final Duration giveUpAfter;
    /** Per table, why its commits are failing, while they are. */
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private volatile String lastFailure;
    /** The current-state tables, when kept (docs/design.md, "Tables", current-state table); null when not. */
    private volatile CurrentStateTables currentState;
    /**
     * Tables whose current-state table may be behind its change log: after a failed catch-up, and
     * from a shard's first record of the table (a crash may have left the state table behind while
     * the change log holds everything, so no commit of this writer would catch it up). Caught up
     * at the next tick; tried again each tick while it fails.
     */
    private final Set<String> stateBehind = ConcurrentHashMap.newKeySet();
    /** Expires the tables' old snapshots after commits; empty: never (tests, and until set). */
    private volatile Optional<SnapshotBound> snapshotBound = Optional.empty();
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
        this(catalog, settings, layout, stream, errors, trimmer, Map.of());
    }

    /**
     * @param typedRows the Parquet row schema of each DynamoDB table with a typed schema: its
     *                  change-log table gains its typed columns
     */
    public IcebergCommitter(Catalog catalog, IcebergSettings settings, LakeLayout layout, String stream,
                            LakeCommitter errors, FileTrimmer trimmer, Map<String, org.apache.avro.Schema> typedRows) {
        this(catalog, settings, layout, stream, errors, trimmer, giveUpAfter(settings.commitInterval()), typedRows);
    }

    /** @param giveUpAfter how long a unit's commits may keep failing before its shard stops */
    IcebergCommitter(Catalog catalog, IcebergSettings settings, LakeLayout layout, String stream,
                     LakeCommitter errors, FileTrimmer trimmer, Duration giveUpAfter) {
        this(catalog, settings, layout, stream, errors, trimmer, giveUpAfter, Map.of());
    }

    private IcebergCommitter(Catalog catalog, IcebergSettings settings, LakeLayout layout, String stream,
                             LakeCommitter errors, FileTrimmer trimmer, Duration giveUpAfter,
                             Map<String, org.apache.avro.Schema> typedRows) {
        this.giveUpAfter = giveUpAfter;
        this.catalog = catalog;
        this.tables = new ChangeLogTables(catalog, settings, typedRows);
        this.layout = layout;
        this.stream = stream;
        this.errors = errors;
        this.trimmer = trimmer;
        this.interval = settings.commitInterval();
        this.nextSealNanos = System.nanoTime() + interval.toNanos();
        bindTo(new SimpleMeterRegistry()); // until run binds the service's registry
        loop.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** Ten commit intervals, at least two minutes: outlasts a catalog's or a store's short outage. */
    public static Duration giveUpAfter(Duration commitInterval) {
        Duration tenIntervals = commitInterval.multipliedBy(10);
        return tenIntervals.compareTo(Duration.ofMinutes(2)) > 0 ? tenIntervals : Duration.ofMinutes(2);
    }

    /** Keeps a current-state table beside each change-log table, as {@code settings} say. */
    public IcebergCommitter keepingCurrentState(CurrentStateSettings settings) {
        currentState = settings.enabled() ? new CurrentStateTables(catalog, settings, stream) : null;
        return this;
    }

    /**
     * Expires, once an hour per table (change-log and current-state) after a commit, its
     * snapshots older than {@code maxAge} (keeping the newest {@code keep} and the newest with
     * watermarks): without it every commit's metadata file grows with every snapshot
     * ({@link SnapshotBound}).
     */
    public IcebergCommitter boundingSnapshots(Duration maxAge, int keep) {
        return boundingSnapshots(new SnapshotBound(maxAge, keep, SnapshotBound.EVERY, Clock.systemUTC()));
    }

    IcebergCommitter boundingSnapshots(SnapshotBound bound) {
        snapshotBound = Optional.of(bound);
        return this;
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

    /**
     * A data file carries its change-log table's field ids, so that readers that ignore the name
     * mapping (Iceberg's own generic reader does) still find each column by id, not by position.
     */
    @Override
    public ColumnIds columnIds() {
        return dynamoTable -> {
            NameMapping byName = tables.target(dynamoTable).byColumnName();
            return fileSchema -> ParquetSchemaUtil.applyNameMapping(fileSchema, byName);
        };
    }

    @Override
    public synchronized void bindTo(MeterRegistry target) {
        Tags tags = Tags.of("stream", stream);
        commits = Counter.builder("lakehose.iceberg.commits").tags(tags)
                .description("Snapshots committed to change-log tables").register(target);
        refused = Counter.builder("lakehose.iceberg.commits.refused").tags(tags)
                .description("Commits the fence refused: another writer of a shard committed first").register(target);
        retries = Counter.builder("lakehose.iceberg.commit.retries").tags(tags)
                .description("Commits tried again later: the catalog, the store or an upload failed, or the outcome was unknown").register(target);
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
        if (folder.isPresent()) {
            return folder;
        }
        return Optional.ofNullable(lastFailure).or(() -> failing.values().stream().findFirst());
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

    /** Why records of DynamoDB table {@code table} cannot go to its change-log table, if they cannot. */
    Optional<String> conflict(String table) {
        return tables.conflict(table);
    }

    Optional<SequenceNumber> watermark(String table, String shardId) {
        if (currentState != null) {
            stateBehind.add(table);
        }
        return Optional.ofNullable(WatermarkFence.current(tables.table(table)).get(shardId));
    }

    PendingFile upload(IcebergShardCommitter shard, String table, SealedFile file) {
        return new PendingFile(table, file, CompletableFuture.supplyAsync(() -> uploadNow(shard, table, file), uploads));
    }

    private DataFile uploadNow(IcebergShardCommitter shard, String table, SealedFile file) {
        try {
            return DataFileUpload.upload(tables.target(table), file, stream + "~" + shard.shardId());
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
        List<Unit> dropped = new ArrayList<>();
        synchronized (ready) {
            ArrayDeque<Unit> queued = ready.remove(shard);
            if (queued != null) {
                dropped.addAll(queued);
            }
        }
        open.forEach(f -> dropFile(shard, f, true));
        dropped.forEach(this::dropUnit);
    }

    /** A unit of a lost lease: never committed; its uploads deleted unless a commit of them may have landed. */
    private void dropUnit(Unit u) {
        u.files().forEach(f -> dropFile(u.shard(), f, u.retry().unknown().isEmpty()));
    }

    /** An upload of an attempt whose outcome is unknown stays: the table may hold it. */
    private void dropFile(IcebergShardCommitter shard, PendingFile f, boolean deleteUpload) {
        if (deleteUpload) {
            f.whenUploaded(d -> deleteQuietly(f.table(), d));
        } else {
            f.whenUploaded(d -> LOG.info("shard {}: kept the upload {}: a commit of it whose outcome is unknown may be "
                    + "in the table (if not, maintenance removes it as an orphan)", shard.shardId(), d.location()));
        }
        f.done().completeExceptionally(new LeaseLostException(shard.shardId()));
        f.spool().deleteSpoolFile();
    }

    private void tick() {
        if (System.nanoTime() >= nextSealNanos) {
            sealEpoch.incrementAndGet(); // the shards finish their open files at their next batch
            nextSealNanos = System.nanoTime() + interval.toNanos();
        }
        commitReady();
        stateBehind.forEach(this::catchUpState);
    }

    /**
     * Applies the change log's new snapshots to the table's current-state table. A failure does
     * not hold back the change log (whose commit is done): the state table catches up at the next
     * tick or commit, from whatever this or another worker committed.
     */
    private synchronized void catchUpState(String table) {
        CurrentStateTables state = currentState;
        if (state == null) {
            return;
        }
        try {
            CurrentStateTable stateTable = state.of(table, tables.id(table),
                    tables.table(table));
            if (stateTable.catchUp().committed()) {
                snapshotBound.ifPresent(b -> b.afterCommit("the current-state table of " + table, stateTable.table()));
            }
            stateBehind.remove(table);
            failing.remove("state of " + table);
        } catch (RuntimeException e) {
            state.forget(table);
            if (stateBehind.add(table) || !failing.containsKey("state of " + table)) {
                failing.put("state of " + table, "the current-state table of " + table + " is behind its change log: " + e);
            }
            LOG.warn("the current-state table of {} could not catch up with its change log (tried again in a second): {}",
                    table, e.toString(), e);
        }
    }

    /** Commits every unit whose uploads are done, one snapshot per table; runs on the commit thread. */
    private synchronized void commitReady() {
        long now = System.nanoTime();
        List<Unit> units = new ArrayList<>();
        synchronized (ready) {
            for (ArrayDeque<Unit> queue : ready.values()) {
                // In order: a unit still uploading, or waiting to be tried again, holds back its shard's later ones.
                while (!queue.isEmpty() && queue.peekFirst().retry().due(now)
                        && queue.peekFirst().files().stream().allMatch(PendingFile::uploadSettled)) {
                    units.add(queue.pollFirst());
                }
            }
            ready.values().removeIf(ArrayDeque::isEmpty);
        }
        Map<String, List<Unit>> byTable = new LinkedHashMap<>();
        for (Unit u : units) {
            Map<String, List<PendingFile>> files = new LinkedHashMap<>();
            for (PendingFile f : u.files()) {
                files.computeIfAbsent(f.table(), t -> new ArrayList<>()).add(f);
            }
            files.forEach((table, list) -> byTable.computeIfAbsent(table, t -> new ArrayList<>()).add(u.withFiles(list)));
        }
        byTable.forEach(this::commitTable);
    }

    /**
     * One fenced snapshot of {@code units}' files. Refused: adopt the table's watermark and go
     * again. Failed (the catalog, the store, an upload): try again later, after looking whether an
     * attempt whose outcome is unknown landed; the worker stops only when commits keep failing
     * for {@code giveUpAfter}.
     */
    private void commitTable(String table, List<Unit> units) {
        long start = System.nanoTime();
        List<Unit> parts = new ArrayList<>(units);
        Optional<Retry.Attempt> attempt = Optional.empty();
        try {
            parts = settle(table, parts);
            for (int refusals = 0; !parts.isEmpty(); ) {
                parts = prepare(table, mergeByShard(parts));
                if (parts.isEmpty()) {
                    return;
                }
                List<DataFile> dataFiles = new ArrayList<>();
                List<WatermarkFence.Advance> advances = new ArrayList<>();
                for (Unit p : parts) {
                    p.files().forEach(f -> dataFiles.add(f.uploaded().orElseThrow()));
                    advances.add(new WatermarkFence.Advance(p.shard().shardId(), p.shard().seen(table).get(), p.position()));
                }
                Table t = tables.table(table);
                t.refresh();
                tables.refreshed(table, t);
                attempt = Optional.of(new Retry.Attempt(UUID.randomUUID().toString(),
                        Optional.ofNullable(t.currentSnapshot()).map(Snapshot::snapshotId)));
                CrashPoints.reach(UPLOADED, () -> "uploaded, not committed: " + dataFiles.stream().map(DataFile::location).toList());
                WatermarkFence.Outcome outcome = WatermarkFence.append(t, dataFiles, advances, attempt.get().id());
                if (outcome.committed()) {
                    CrashPoints.reach(COMMITTED, () -> "committed, not yet counted as committed: " + advances);
                    finish(table, parts);
                    snapshotBound.ifPresent(b -> b.afterCommit(table, t));
                    return;
                }
                attempt = Optional.empty();
                refused.increment();
                parts = adopt(table, parts, outcome.refused());
                if (++refusals == REFUSALS_PER_COMMIT && !parts.isEmpty()) {
                    throw new IllegalStateException("refused " + REFUSALS_PER_COMMIT + " times in a row");
                }
            }
        } catch (RuntimeException e) {
            // Iceberg's CommitFailedException and a validation failure mean nothing was committed.
            boolean notCommitted = e instanceof CommitFailedException || e instanceof ValidationException;
            retryLater(table, parts, notCommitted ? Optional.empty() : attempt, e);
        } finally {
            latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** Units whose earlier attempt's outcome is unknown: done if its snapshot is in the table, else tried again. */
    private List<Unit> settle(String table, List<Unit> parts) {
        if (parts.stream().allMatch(p -> p.retry().unknown().isEmpty())) {
            return parts;
        }
        Table t = tables.reload(table);
        List<Unit> next = new ArrayList<>();
        for (Unit p : parts) {
            Optional<Retry.Attempt> unknown = p.retry().unknown();
            if (unknown.isPresent() && WatermarkFence.landed(t, unknown.get().id(), unknown.get().baseSnapshotId())) {
                LOG.info("shard {}: the commit to the table of {} whose outcome was unknown is in the table",
                        p.shard().shardId(), table);
                finish(table, List.of(p));
            } else {
                next.add(unknown.isPresent() ? p.withRetry(p.retry().settled()) : p);
            }
        }
        return next;
    }

    /** Every file uploaded (again, where an upload failed or was deleted); units left with no file drop out. */
    private List<Unit> prepare(String table, List<Unit> parts) {
        List<Unit> next = new ArrayList<>();
        for (Unit p : parts) {
            List<PendingFile> kept = new ArrayList<>();
            for (PendingFile f : p.files()) {
                if (f.done().isCompletedExceptionally()) {
                    // Dropped while its commit was failing (lease lost); settled, so its upload is not in the table.
                    f.uploaded().ifPresent(d -> deleteQuietly(table, d));
                } else if (!f.done().isDone() && (f.uploaded().isPresent() || uploadAgain(p.shard(), table, f))) {
                    kept.add(f);
                }
            }
            if (!kept.isEmpty()) {
                next.add(p.withFiles(kept));
            }
        }
        return next;
    }

    /** Uploads {@code f} from its spool file, cut to the rows after its kept mark; false when no row is left. */
    private boolean uploadAgain(IcebergShardCommitter shard, String table, PendingFile f) {
        Optional<SealedFile> rows = rowsAfter(f.spool(), f.keepAfter());
        if (rows.isEmpty()) {
            f.done().complete(Committed.NOTHING_NEW);
            f.spool().deleteSpoolFile();
            return false;
        }
        try {
            f.uploadedAs(uploadNow(shard, table, rows.get()));
        } finally {
            if (rows.get() != f.spool()) {
                rows.get().deleteSpoolFile();
            }
        }
        return true;
    }

    /** A shard with several units in one commit: their files together, up to the last position. */
    private static List<Unit> mergeByShard(List<Unit> parts) {
        Map<IcebergShardCommitter, Unit> merged = new LinkedHashMap<>();
        for (Unit p : parts) {
            merged.merge(p.shard(), p, (a, b) -> {
                List<PendingFile> all = new ArrayList<>(a.files());
                all.addAll(b.files());
                return new Unit(a.shard(), b.position(), all, a.retry().merge(b.retry()));
            });
        }
        return new ArrayList<>(merged.values());
    }

    private void finish(String table, List<Unit> parts) {
        commits.increment();
        if (currentState != null) {
            CrashPoints.reach(STATE_PENDING, () -> "change log committed, its current-state table not yet caught up: " + table);
        }
        // Before the files count as committed: a checkpoint (and convert's end) then waits for the state table too.
        catchUpState(table);
        for (Unit p : parts) {
            p.shard().saw(table, Optional.of(p.position()));
            for (PendingFile f : p.files()) {
                DataFile d = f.uploaded().orElseThrow();
                files.increment();
                bytes.increment(d.fileSizeInBytes());
                f.done().complete(new Committed(Optional.of(d.location()), d.recordCount(), d.fileSizeInBytes()));
                f.spool().deleteSpoolFile();
            }
        }
        failing.remove(table);
    }

    /**
     * The refused shards take the table's watermark as theirs and keep only their rows after it:
     * a file with rows at or before it has its upload deleted and is uploaded again, cut; the
     * other shards go again as they were.
     */
    private List<Unit> adopt(String table, List<Unit> parts, Map<String, Optional<SequenceNumber>> refusedMarks) {
        List<Unit> next = new ArrayList<>();
        for (Unit p : parts) {
            Optional<SequenceNumber> base = refusedMarks.get(p.shard().shardId());
            if (base == null) {
                next.add(p);
                continue;
            }
            LOG.info("shard {}: " + REFUSED_BY_ANOTHER_WRITER + " {} up to {}; going on from there",
                    p.shard().shardId(), table, base.map(Object::toString).orElse("nothing"));
            p.shard().saw(table, base);
            boolean covered = base.isPresent() && base.get().compareTo(p.position()) >= 0;
            for (PendingFile f : p.files()) {
                boolean allAfter = base.isEmpty() || f.spool().first().compareTo(base.get()) > 0;
                if (covered || !allAfter) {
                    f.uploaded().ifPresent(d -> deleteQuietly(table, d));
                }
                if (covered) {
                    f.done().complete(Committed.NOTHING_NEW);
                    f.spool().deleteSpoolFile();
                } else if (!allAfter) {
                    f.reuploadAfter(base);
                }
            }
            if (!covered) {
                next.add(p);
            }
        }
        return next;
    }

    /**
     * {@code file}, or its rows after {@code mark} (a record the table holds is never uploaded
     * again: with {@code lake.format: both} the other adapter may be behind); empty when the mark
     * covers it all.
     */
    Optional<SealedFile> rowsNotIn(SealedFile file, Optional<SequenceNumber> mark) {
        if (mark.isPresent() && file.last().compareTo(mark.get()) <= 0) {
            return Optional.empty();
        }
        if (mark.isEmpty() || file.first().compareTo(mark.get()) > 0) {
            return Optional.of(file);
        }
        return rowsAfter(file, mark);
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

    /**
     * Back to the front of their shards' queues, to be tried again after a wait; a unit failing
     * for longer than {@code giveUpAfter} fails its files instead (the worker stops and a new one
     * re-reads from the table's watermarks).
     */
    private void retryLater(String table, List<Unit> parts, Optional<Retry.Attempt> attempt, RuntimeException e) {
        retries.increment();
        tables.forget(table);
        if (attempt.isPresent()) {
            Optional<Boolean> landed = landed(table, attempt.get());
            if (landed.orElse(false)) {
                LOG.info("commit to the table of {} reported {}, but it is in the table", table, e.toString());
                finish(table, parts);
                return;
            }
            if (landed.isPresent()) {
                attempt = Optional.empty(); // looked: not there
            }
        }
        long now = System.nanoTime();
        List<Unit> again = new ArrayList<>();
        for (Unit p : parts) {
            Retry r = p.retry().failedAgain(now, attempt, interval);
            if (p.shard().abandoned()) {
                dropUnit(p.withRetry(r));
            } else if (now - r.failingSinceNanos() > giveUpAfter.toNanos()) {
                lastFailure = "commit to the Iceberg table of " + table + " kept failing for "
                        + Duration.ofNanos(now - r.failingSinceNanos()).toSeconds() + " s: " + e;
                LOG.error("shard {}: {}; its records are not checkpointed and will be re-read", p.shard().shardId(),
                        lastFailure, e);
                for (PendingFile f : p.files()) {
                    if (r.unknown().isEmpty()) {
                        f.uploaded().ifPresent(d -> deleteQuietly(table, d));
                    }
                    f.done().completeExceptionally(e);
                    f.spool().deleteSpoolFile();
                }
            } else {
                again.add(p.withRetry(r));
            }
        }
        if (!again.isEmpty()) {
            Retry r = again.get(0).retry();
            if (r.failures() >= 3) {
                failing.put(table, "commits to the Iceberg table of " + table + " failing for "
                        + Duration.ofNanos(now - r.failingSinceNanos()).toSeconds() + " s: " + e);
            }
            LOG.warn("commit to the Iceberg table of {} failed ({} in a row{}): {}; trying again in {} ms", table,
                    r.failures(), r.unknown().isPresent() ? ", outcome unknown" : "", e.toString(),
                    Duration.ofNanos(r.notBeforeNanos() - now).toMillis());
        }
        List<Unit> ofLostLeases = new ArrayList<>();
        synchronized (ready) {
            for (int i = again.size() - 1; i >= 0; i--) {
                Unit p = again.get(i);
                // Checked again under the lock drop() takes after abandon() set the flag: a lease lost
                // since the check above would otherwise leave the unit queued after drop() emptied it.
                if (p.shard().abandoned()) {
                    ofLostLeases.add(p);
                } else {
                    ready.computeIfAbsent(p.shard(), s -> new ArrayDeque<>()).addFirst(p);
                }
            }
        }
        ofLostLeases.forEach(this::dropUnit);
    }

    /** Whether the attempt is in the table; empty when the table cannot be read now either. */
    private Optional<Boolean> landed(String table, Retry.Attempt attempt) {
        try {
            return Optional.of(WatermarkFence.landed(tables.reload(table), attempt.id(), attempt.baseSnapshotId()));
        } catch (RuntimeException e) {
            LOG.warn("cannot read the table of {} to see whether a commit landed: {}", table, e.toString());
            return Optional.empty();
        }
    }

    private void deleteQuietly(String table, DataFile file) {
        try {
            tables.table(table).io().deleteFile(file.location());
            LOG.info("deleted the uncommitted data file {}", file.location()); // rare: a refusal, a lost lease, a failed upload
        } catch (RuntimeException e) {
            LOG.warn("could not delete the uncommitted data file {} (an orphan; maintenance removes it): {}",
                    file.location(), e.toString());
        }
    }
}
