package io.lakehose.commit.iceberg.state;

import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.commit.CrashPoints;
import io.lakehose.encode.ParquetRows;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.SnapshotUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One current-state table kept from its change-log table (docs/design.md, "Tables", current-state
 * table). The state table is a function of the change log: each commit applies the change-log
 * snapshots appended since the one the state table last applied (its summary's
 * {@value #SOURCE_SNAPSHOT}) and records the new one, in one RowDelta: a data file of the rows
 * that win ({@link MergePlan}) and a position-delete file of the rows they replace or remove.
 *
 * <p>The fence: a commit applies only on the state snapshot its index reflects; anything else
 * committed meanwhile (another worker, maintenance) refuses it, and the writer catches its index
 * up from the snapshots since (their added and removed files only) and computes the commit again.
 * So the change log's changes are applied once each, in whatever order the changes arrived, and a
 * crash between the change-log commit and this one loses nothing: the next commit of any worker
 * applies what the state table has not.
 *
 * <p>Cost: a commit reads the change-log files appended since the last one and writes two
 * files. Building the index reads the key and order columns of every live data file and every
 * delete file: in proportion to the table, once per worker start.
 */
public final class CurrentStateTable {

    private static final Logger LOG = LoggerFactory.getLogger(CurrentStateTable.class);
    /** The change-log snapshot up to which this state snapshot holds every change. */
    public static final String SOURCE_SNAPSHOT = "lakehose.source-snapshot";
    private static final String WATERMARK = "lakehose.watermark.";
    private static final long TOMBSTONE_MEMORY_MICROS = 3_600_000_000L;
    private static final int ATTEMPTS = 10;
    /** Crash point (tests only, {@link CrashPoints}): a state commit's fence passed, its snapshot not yet in the catalog. */
    public static final String VALIDATED = "iceberg.state.validated";

    /**
     * What one catch-up did (for metrics and the bench).
     *
     * @param bytesRead the bytes read from the store (change-log files, and the state table's
     *                  when the index was built or caught up): what the readers fetched, footers
     *                  and projected column chunks, not the files' lengths
     */
    public record Applied(int changes, int rowsWritten, int rowsDeleted, long bytesRead, boolean committed) {
        static Applied nothing(long bytesRead) {
            return new Applied(0, 0, 0, bytesRead, false);
        }
    }

    private final Table changeLog;
    private final Table state;
    private final ChangeRows rows;
    private final boolean keepTombstones;
    private final String writerId;
    private final StateIndex index = new StateIndex();
    /** The state snapshot the index reflects; null before the index is built. */
    private Long indexed;
    private boolean built;
    private long newestEventTime = Long.MIN_VALUE;
    private final AtomicLong bytesRead = new AtomicLong();
    /** Tests only: runs after a commit is computed, before it is tried (another writer may commit there). */
    Runnable beforeCommit = () -> { };

    CurrentStateTable(Table changeLog, Table state, Optional<String> orderAttribute, boolean keepTombstones, String writerId) {
        this.changeLog = changeLog;
        this.state = state;
        this.rows = new ChangeRows(orderAttribute);
        this.keepTombstones = keepTombstones;
        this.writerId = writerId;
    }

    public Table table() {
        return state;
    }

    /** The bytes this writer has read from the store so far (see {@link Applied#bytesRead}). */
    public long bytesRead() {
        return bytesRead.get();
    }

    /** Keys the table holds a row of, as this writer's index knows them. */
    public long indexedRows() {
        return index.rows();
    }

    /**
     * Applies every change-log snapshot the state table has not applied yet, in one commit (or
     * none, when there is none). A commit refused because the state table moved is computed
     * again; one that keeps being refused fails.
     */
    public synchronized Applied catchUp() {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long readBefore = bytesRead.get();
            state.refresh();
            changeLog.refresh();
            syncIndex();
            Snapshot base = state.currentSnapshot();
            Optional<Long> from = Optional.ofNullable(base).map(s -> s.summary().get(SOURCE_SNAPSHOT)).map(Long::parseLong);
            Snapshot to = changeLog.currentSnapshot();
            if (to == null || from.isPresent() && from.get() == to.snapshotId()) {
                return Applied.nothing(bytesRead.get() - readBefore);
            }
            Map<String, Winner> newest = newestChanges(from, to);
            MergePlan plan = MergePlan.of(newest.values().stream().map(Winner::change).toList(), index, keepTombstones);
            Optional<Committed> done = commit(base, to, plan, newest);
            if (done.isPresent()) {
                plan.applyTo(index, done.get().rowsAt());
                indexed = done.get().snapshotId();
                newest.values().forEach(w -> newestEventTime = Math.max(newestEventTime, w.change().eventTimeMicros()));
                index.forgetTombstonesBefore(newestEventTime - TOMBSTONE_MEMORY_MICROS);
                return new Applied(newest.size(), plan.rows().size(), plan.deletes().size(),
                        bytesRead.get() - readBefore, true);
            }
            LOG.info("the current-state table {} moved while this writer computed a commit; catching up and again", state.name());
        }
        throw new IllegalStateException("the current-state table " + state.name() + " moved under " + ATTEMPTS
                + " commits in a row");
    }

    private record Winner(Change change, GenericRecord row) {
    }

    private record Committed(long snapshotId, List<StateIndex.RowAt> rowsAt) {
    }

    /** The newest change per key among the data files the change log appended after {@code from} up to {@code to}. */
    private Map<String, Winner> newestChanges(Optional<Long> from, Snapshot to) {
        Map<String, Winner> newest = new LinkedHashMap<>();
        for (DataFile f : appendedSince(from, to)) {
            read(changeLog, f.location(), Optional.empty(), (pos, row) -> {
                Change c = rows.of(row);
                newest.merge(c.key(), new Winner(c, row),
                        (a, b) -> MergeRule.INSTANCE.compare(b.change(), a.change()) > 0 ? b : a);
            });
        }
        return newest;
    }

    /**
     * The data files appended to the change log after snapshot {@code from} up to {@code to}
     * (maintenance's rewrites add no change); every live file when {@code from} is not among
     * {@code to}'s ancestors (expired: applying every change again gives the same table).
     */
    private List<DataFile> appendedSince(Optional<Long> from, Snapshot to) {
        List<Snapshot> since = new ArrayList<>();
        boolean found = from.isEmpty();
        for (Snapshot s : SnapshotUtil.ancestorsOf(to.snapshotId(), changeLog::snapshot)) {
            if (from.isPresent() && s.snapshotId() == from.get()) {
                found = true;
                break;
            }
            since.add(s);
        }
        List<DataFile> files = new ArrayList<>();
        if (!found) {
            LOG.warn("the change-log snapshot {} the table {} last applied is gone; applying the whole change log again",
                    from.get(), state.name());
            try (CloseableIterable<FileScanTask> tasks = changeLog.newScan().useSnapshot(to.snapshotId()).planFiles()) {
                tasks.forEach(t -> files.add(t.file()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return files;
        }
        Collections.reverse(since);
        for (Snapshot s : since) {
            if (DataOperations.APPEND.equals(s.operation())) {
                changes(changeLog, s).addedDataFiles().forEach(files::add);
            }
        }
        return files;
    }

    /** One fenced RowDelta; empty when the state table moved since {@code base}. */
    private Optional<Committed> commit(Snapshot base, Snapshot source, MergePlan plan, Map<String, Winner> newest) {
        Map<Schema, List<Integer>> bySchema = new LinkedHashMap<>();
        Map<Change, GenericRecord> recordOf = new IdentityHashMap<>();
        newest.values().forEach(w -> recordOf.put(w.change(), w.row()));
        for (int i = 0; i < plan.rows().size(); i++) {
            bySchema.computeIfAbsent(recordOf.get(plan.rows().get(i)).getSchema(), s -> new ArrayList<>()).add(i);
        }
        List<DataFile> dataFiles = new ArrayList<>();
        List<DeleteFile> deleteFiles = new ArrayList<>();
        StateIndex.RowAt[] at = new StateIndex.RowAt[plan.rows().size()];
        try {
            StateSchema.addMissingColumns(state, changeLog.schema());
            for (Map.Entry<Schema, List<Integer>> e : bySchema.entrySet()) {
                List<GenericRecord> records = e.getValue().stream().map(i -> recordOf.get(plan.rows().get(i))).toList();
                DataFile d = StateFiles.writeData(state, e.getKey(), records, writerId);
                dataFiles.add(d);
                for (int pos = 0; pos < e.getValue().size(); pos++) {
                    at[e.getValue().get(pos)] = new StateIndex.RowAt(d.location(), pos);
                }
            }
            if (!plan.deletes().isEmpty()) {
                deleteFiles.add(StateFiles.writeDeletes(state, plan.deletes(), writerId));
            }
        } catch (IOException e) {
            deleteQuietly(dataFiles, deleteFiles);
            throw new UncheckedIOException("cannot write the files of the current-state table " + state.name(), e);
        }
        RowDelta delta = state.newRowDelta();
        dataFiles.forEach(delta::addRows);
        deleteFiles.forEach(delta::addDeletes);
        delta.set(SOURCE_SNAPSHOT, Long.toString(source.snapshotId()));
        // Where each shard stands in this table: the change log's watermarks it now holds.
        source.summary().forEach((k, v) -> {
            if (k.startsWith(WATERMARK)) {
                delta.set(k, v);
            }
        });
        Long expected = base == null ? null : base.snapshotId();
        beforeCommit.run();
        boolean[] moved = {false};
        delta.validateWith(new SnapshotAncestryValidator() {
            @Override
            public boolean validate(Iterable<Snapshot> ancestry) {
                var it = ancestry.iterator();
                Long current = it.hasNext() ? it.next().snapshotId() : null;
                moved[0] = !Objects.equals(current, expected);
                if (!moved[0]) {
                    CrashPoints.reach(VALIDATED, () -> "state fence passed, snapshot not yet in the catalog: "
                            + dataFiles.stream().map(DataFile::location).toList());
                }
                return !moved[0];
            }

            @Override
            public String errorMessage() {
                return "the current-state table moved since snapshot " + expected;
            }
        });
        try {
            delta.commit();
        } catch (ValidationException | CommitFailedException e) {
            deleteQuietly(dataFiles, deleteFiles);
            if (e instanceof ValidationException && moved[0]) {
                return Optional.empty();
            }
            throw e;
        }
        state.refresh();
        return Optional.of(new Committed(state.currentSnapshot().snapshotId(), List.of(at)));
    }

    private void deleteQuietly(List<DataFile> data, List<DeleteFile> deletes) {
        List<String> all = new ArrayList<>();
        data.forEach(d -> all.add(d.location()));
        deletes.forEach(d -> all.add(d.location()));
        for (String f : all) {
            try {
                state.io().deleteFile(f);
            } catch (RuntimeException e) {
                LOG.warn("could not delete the uncommitted file {} (an orphan; maintenance removes it): {}", f, e.toString());
            }
        }
    }

    /** Brings the index to the state table's current snapshot: from scratch the first time, else from the snapshots since. */
    private void syncIndex() {
        Snapshot current = state.currentSnapshot();
        Long currentId = current == null ? null : current.snapshotId();
        if (built && Objects.equals(currentId, indexed)) {
            return;
        }
        if (!built || indexed == null || current == null) {
            build(current);
            return;
        }
        List<Snapshot> since = new ArrayList<>();
        for (Snapshot s : SnapshotUtil.currentAncestors(state)) {
            if (s.snapshotId() == indexed) {
                Collections.reverse(since);
                since.forEach(this::apply);
                indexed = currentId;
                return;
            }
            since.add(s);
        }
        build(current); // the snapshot the index reflected is no longer an ancestor
    }

    /** Another writer's snapshot: its removed data files, then its deletes, then its rows. */
    private void apply(Snapshot s) {
        SnapshotChanges changes = changes(state, s);
        changes.removedDataFiles().forEach(f -> index.fileRemoved(f.location()));
        for (DeleteFile d : changes.addedDeleteFiles()) {
            read(state, d.location(), Optional.empty(), (pos, row) ->
                    index.rowDeleted(row.get(0).toString(), (Long) row.get(1)));
        }
        for (DataFile f : changes.addedDataFiles()) {
            read(state, f.location(), Optional.of(rows.columns()), (pos, row) -> index.rowAdded(f.location(), pos, rows.of(row)));
        }
    }

    /** What {@code s} added and removed, read with the table's partition specs (not the manifests' copies). */
    private static SnapshotChanges changes(Table table, Snapshot s) {
        return SnapshotChanges.builderFor(table).snapshot(s).build();
    }

    /** The index from the table: every live row's key columns, the position deletes read first. */
    private void build(Snapshot current) {
        long start = System.nanoTime();
        index.clear();
        built = true;
        indexed = current == null ? null : current.snapshotId();
        if (current == null) {
            return;
        }
        Map<String, BitSet> deleted = new HashMap<>();
        List<DataFile> files = new ArrayList<>();
        Set<String> deleteFiles = new HashSet<>();
        try (CloseableIterable<FileScanTask> tasks = state.newScan().useSnapshot(current.snapshotId()).planFiles()) {
            for (FileScanTask t : tasks) {
                files.add(t.file());
                for (DeleteFile d : t.deletes()) {
                    if (deleteFiles.add(d.location())) {
                        read(state, d.location(), Optional.empty(), (pos, row) ->
                                deleted.computeIfAbsent(row.get(0).toString(), f -> new BitSet()).set(Math.toIntExact((Long) row.get(1))));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (DataFile f : files) {
            BitSet gone = deleted.getOrDefault(f.location(), new BitSet());
            read(state, f.location(), Optional.of(rows.columns()), (pos, row) -> {
                if (!gone.get(Math.toIntExact(pos))) {
                    index.rowAdded(f.location(), pos, rows.of(row));
                }
            });
        }
        restoreTombstones(current);
        LOG.info("index of the current-state table {}: {} keys from {} data files and {} delete files in {} ms",
                state.name(), index.size(), files.size(), deleteFiles.size(), (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * The tombstones a writer would still hold in memory: the REMOVEs of the change log's last
     * hour of event time (up to the change-log snapshot the state table holds) that are newer than
     * their key's row. Without them a duplicate or a late change older than a REMOVE applied
     * before this writer started would bring the item back. Reads the change-log files of that
     * hour's partition whose event-time range reaches it (Iceberg prunes the rest).
     */
    private void restoreTombstones(Snapshot current) {
        if (keepTombstones || current.summary().get(SOURCE_SNAPSHOT) == null) {
            return;
        }
        long source = Long.parseLong(current.summary().get(SOURCE_SNAPSHOT));
        if (changeLog.snapshot(source) == null) {
            return;
        }
        long newest = Long.MIN_VALUE;
        try (CloseableIterable<FileScanTask> tasks = changeLog.newScan().useSnapshot(source).includeColumnStats().planFiles()) {
            for (FileScanTask t : tasks) {
                ByteBuffer upper = t.file().upperBounds() == null ? null
                        : t.file().upperBounds().get(changeLog.schema().findField("event_time").fieldId());
                if (upper != null) {
                    newest = Math.max(newest, Conversions.<Long>fromByteBuffer(
                            Types.TimestampType.withZone(), upper));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (newest == Long.MIN_VALUE) {
            return;
        }
        newestEventTime = newest;
        long since = newest - TOMBSTONE_MEMORY_MICROS;
        int[] restored = {0};
        try (CloseableIterable<FileScanTask> tasks = changeLog.newScan().useSnapshot(source)
                .filter(Expressions.and(
                        Expressions.greaterThanOrEqual("event_time", since),
                        Expressions.equal("event_name", Change.REMOVE)))
                .planFiles()) {
            for (FileScanTask t : tasks) {
                read(changeLog, t.file().location(), Optional.of(rows.columns()), (pos, row) -> {
                    Change c = rows.of(row);
                    if (c.isRemove() && c.eventTimeMicros() >= since) {
                        Optional<StateIndex.Entry> e = index.get(c.key());
                        if (e.isEmpty() || MergeRule.INSTANCE.compare(c, e.get().change()) > 0) {
                            index.tombstone(c);
                            restored[0]++;
                        }
                    }
                });
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.info("current-state table {}: {} tombstones of the last hour restored from the change log", state.name(), restored[0]);
    }

    private interface PositionedRow {
        void accept(long position, GenericRecord row) throws IOException;
    }

    private void read(Table table, String location, Optional<Set<String>> columns, PositionedRow consumer) {
        org.apache.iceberg.io.InputFile in = table.io().newInputFile(location);
        long[] pos = {0};
        try {
            ParquetRows.forEach(IcebergParquetFiles.in(in, bytesRead), columns, row -> consumer.accept(pos[0]++, row));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location, e);
        }
    }
}
