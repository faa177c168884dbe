package io.lakehose.commit.iceberg;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One shard's side of the Iceberg adapter. Data files are uploaded as they are handed over and
 * collected into a unit; at a barrier ({@link #sealed}) the unit, with the position it covers,
 * goes to the worker's committer, which commits the units of all its shards together, one fenced
 * snapshot per table. Error files go to the folder layout, as ever.
 */
final class IcebergShardCommitter implements ShardCommitter {

    private final IcebergCommitter parent;
    private final String shardId;
    private final ShardCommitter errors;
    /** Per DynamoDB table: the watermark this writer last saw committed for the shard (the fence's "from"). */
    private final Map<String, AtomicReference<Optional<SequenceNumber>>> seen = new ConcurrentHashMap<>();
    private final List<PendingFile> open = new ArrayList<>(); // shard thread only
    /** The table of each directory met: the layout's pattern runs once per directory, not per record. */
    private final Map<String, Optional<String>> tableOfDirectory = new ConcurrentHashMap<>();
    /** Per directory met, why its table's rows cannot go to the catalog, if they cannot (asked per record). */
    private final Map<String, Optional<String>> conflictOfDirectory = new ConcurrentHashMap<>();
    private final List<CompletableFuture<?>> outstanding = new ArrayList<>();
    private long sealedEpoch;
    private volatile boolean abandoned;

    IcebergShardCommitter(IcebergCommitter parent, String shardId, ShardCommitter errors) {
        this.parent = parent;
        this.shardId = shardId;
        this.errors = errors;
        this.sealedEpoch = parent.sealEpoch();
    }

    String shardId() {
        return shardId;
    }

    boolean abandoned() {
        return abandoned;
    }

    @Override
    public boolean isCommitted(String directory, SequenceNumber sequence) {
        Optional<String> table = tableOf(directory);
        if (table.isEmpty()) {
            return errors.isCommitted(directory, sequence);
        }
        Optional<SequenceNumber> mark = seen(table.get()).get();
        return mark.isPresent() && sequence.compareTo(mark.get()) <= 0;
    }

    @Override
    public Optional<String> tableNameConflict(String directory) {
        return conflictOfDirectory.computeIfAbsent(directory, d -> tableOf(d).flatMap(parent::conflict));
    }

    private Optional<String> tableOf(String directory) {
        return tableOfDirectory.computeIfAbsent(directory, parent::tableOf);
    }

    /** The watermark of the shard in the table, read from the table the first time it is needed. */
    AtomicReference<Optional<SequenceNumber>> seen(String table) {
        return seen.computeIfAbsent(table, t -> new AtomicReference<>(parent.watermark(t, shardId)));
    }

    /** Another writer's commit (or ours) put the table at {@code mark} for this shard. */
    void saw(String table, Optional<SequenceNumber> mark) {
        seen(table).set(mark);
    }

    @Override
    public CompletableFuture<Committed> commit(SealedFile file) throws InterruptedException {
        Optional<String> table = tableOf(file.directory());
        if (table.isEmpty() || !file.extension().equals(".parquet")) {
            CompletableFuture<Committed> done = errors.commit(file);
            outstanding.add(done);
            return done;
        }
        Optional<SealedFile> rows = parent.rowsNotIn(file, seen(table.get()).get());
        if (rows.isEmpty() || rows.get() != file) {
            file.deleteSpoolFile();
        }
        if (rows.isEmpty()) {
            return CompletableFuture.completedFuture(Committed.NOTHING_NEW);
        }
        PendingFile pending = parent.upload(this, table.get(), rows.get());
        open.add(pending);
        outstanding.add(pending.done());
        return pending.done();
    }

    @Override
    public boolean sealDue() {
        return parent.sealEpoch() > sealedEpoch;
    }

    @Override
    public void sealed(SequenceNumber position) {
        sealedEpoch = parent.sealEpoch();
        if (!open.isEmpty()) {
            parent.enqueue(new Unit(this, position, List.copyOf(open)));
            open.clear();
        }
        outstanding.removeIf(CompletableFuture::isDone);
    }

    @Override
    public CompletableFuture<Void> flush() {
        parent.commitSoon();
        List<CompletableFuture<?>> all = new ArrayList<>(outstanding);
        all.add(errors.flush());
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public void abandon() {
        abandoned = true;
        errors.abandon();
        parent.drop(this, open);
        open.clear();
    }
}
