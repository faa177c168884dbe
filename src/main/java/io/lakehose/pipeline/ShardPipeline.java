package io.lakehose.pipeline;

import io.lakehose.buffer.BufferSet;
import io.lakehose.buffer.SealedFile;
import io.lakehose.checkpoint.CheckpointTracker;
import io.lakehose.commit.LeaseLostException;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.errorout.ErrorRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One shard's path through the stages: decode -> partition -> buffer (encode) -> commit, and the
 * checkpoint arithmetic over it. The KCL record processor and {@code convert} both drive this
 * class; it knows nothing of either, nor of which lake layout the {@link ShardCommitter} writes.
 *
 * <p>Contract: call from one thread, records in shard order. {@link #safeCheckpoint()} never
 * returns a record that is not inside a committed file. A bad record goes to the error output
 * and never stops the shard; a failed commit does (see {@link UploadFailedException}).
 */
public final class ShardPipeline {

    private final String shardId;
    private final PipelineContext ctx;
    private final RecordDecoding decoding;
    private final ShardCommitter committer;
    private final CheckpointTracker tracker = new CheckpointTracker();
    private final ShardCounts counts;
    private final BufferSet<ChangeRecord> data;
    private final BufferSet<ErrorRecord> errors;
    private final List<SealedFile> sealed = new ArrayList<>();
    private volatile Throwable uploadFailure;
    /**
     * What follows each commit (the tracker told, the counts): {@link #flush} waits for it too, since
     * a future's later dependents (the committer's own flush) may run before it.
     */
    private final Set<CompletableFuture<Void>> recording = ConcurrentHashMap.newKeySet();
    private long streamTimeMicros = Long.MIN_VALUE;

    /**
     * @param committer where finished files go; records it reports as already committed are
     *                  skipped (the exactly-once guard of a re-read)
     */
    public ShardPipeline(String shardId, PipelineContext ctx, ShardCommitter committer) {
        this.shardId = shardId;
        this.committer = committer;
        this.ctx = ctx;
        this.decoding = new RecordDecoding(ctx);
        this.data = new BufferSet<>(shardId, ctx.spoolDir(), ctx.dataWriters(), ctx.limits(), ctx.memory(), tracker);
        this.errors = new BufferSet<>(shardId, ctx.spoolDir(), ctx.errorWriters(), ctx.limits(), ctx.memory(), tracker);
        this.counts = ctx.stats().shardStarted(shardId);
    }

    /** Takes one record through decode and into a buffer; uploads whatever that finishes. */
    public void accept(SourceRecord record) throws InterruptedException {
        accept(record, decoding.decode(record));
    }

    /**
     * Takes a record that is known to be broken before decoding straight to the error output
     * ({@code convert}: part of a file that could not be split into records). Decoding it could
     * find a well-formed record in a fragment by chance; its reason is already known.
     */
    public void acceptUnreadable(SourceRecord record, DecodeException error) throws InterruptedException {
        accept(record, decoding.failed(record, error));
    }

    /** Takes a record decoded elsewhere ({@code convert} decodes on any thread) into a buffer. */
    void accept(SourceRecord record, RecordDecoding.Decoded decoded) throws InterruptedException {
        failIfUploadFailed();
        ChangeRecord change = decoded.change();
        if (change != null) {
            Optional<String> conflict = committer.tableNameConflict(decoded.directory());
            if (conflict.isPresent()) {
                // A forged record must neither land in that table nor stop the shard (docs/design.md, "Tables").
                decoded = decoding.failed(record,
                        DecodeException.refused(ErrorCode.TABLE_NAME_CONFLICT, conflict.get(), change.tableName()));
            }
        }
        route(record, decoded.change(), decoded.error(), decoded.directory());
    }

    /** Exactly one of {@code change} and {@code error} is set; {@code dir} is where the record goes. */
    private void route(SourceRecord record, ChangeRecord change, DecodeException error, String dir)
            throws InterruptedException {
        ctx.stats().records.increment();
        counts.received.increment();
        ctx.stats().inputBytes.add(record.length());
        try {
            if (change != null) {
                // Stream time moves with good records only: a bad record's arrival may be a stand-in
                // (convert has none), and the next good record advances it anyway.
                streamTimeMicros = Math.max(streamTimeMicros, change.source().arrivalMicros());
            }
            long sealStart = System.nanoTime();
            data.sealExpired(streamTimeMicros, sealed);
            errors.sealExpired(streamTimeMicros, sealed);
            data.sealRequested(sealed);
            errors.sealRequested(sealed);
            recordFlushTime(sealStart);
            if (committer.isCommitted(dir, record.sequence())) {
                ctx.stats().skipped.increment();
            } else if (change != null) {
                data.append(dir, change, record.sequence(), change.source().arrivalMicros(), sealed);
                ctx.stats().rows.increment();
                ctx.stats().rowsWritten(change.tableName()).increment();
                ctx.stats().bufferedRecords.increment();
            } else {
                errors.append(dir, ErrorRecord.of(record, error), record.sequence(), record.arrivalMicros(), sealed);
                ctx.stats().errors.increment();
                ctx.stats().errorRecords(error.code().code()).increment();
                ctx.stats().bufferedRecords.increment();
            }
            tracker.accepted(record.sequence());
        } catch (IOException e) {
            throw new UncheckedIOException("spool write failed for shard " + shardId, e);
        }
        commitSealed();
    }

    /**
     * Finishes files older than {@code maxAge} by the wall clock, for quiet shards where no new
     * record advances the stream time. The only clock-driven file boundary: see docs/design.md, "The fence for folders"
     * for why boundaries may differ between writers.
     */
    public void sealExpired(long nowMicros) throws InterruptedException {
        try {
            long sealStart = System.nanoTime();
            data.sealExpired(nowMicros, sealed);
            errors.sealExpired(nowMicros, sealed);
            recordFlushTime(sealStart);
        } catch (IOException e) {
            throw new UncheckedIOException("spool write failed for shard " + shardId, e);
        }
        commitSealed();
    }

    /**
     * Finishes the files the global memory budget asked this shard to flush. {@link #accept} does
     * it before every record; this is for a shard that receives none: it would otherwise hold its
     * heap while the budget stays exceeded and asks the other shards to flush ever smaller files.
     */
    public void sealRequested() throws InterruptedException {
        try {
            long sealStart = System.nanoTime();
            data.sealRequested(sealed);
            errors.sealRequested(sealed);
            recordFlushTime(sealStart);
        } catch (IOException e) {
            throw new UncheckedIOException("spool write failed for shard " + shardId, e);
        }
        commitSealed();
    }

    /**
     * Finishes every data file when the committer asks for a barrier (a table commit is due), so
     * that the position handed to it covers every data record accepted so far.
     */
    public void sealIfCommitDue() throws InterruptedException {
        if (!committer.sealDue()) {
            return;
        }
        try {
            long sealStart = System.nanoTime();
            data.sealAll(sealed);
            recordFlushTime(sealStart);
        } catch (IOException e) {
            throw new UncheckedIOException("spool write failed for shard " + shardId, e);
        }
        commitSealed();
        tracker.lastAccepted().ifPresent(committer::sealed);
    }

    /**
     * Finishes and commits every buffer. The future completes when every file of this shard is
     * committed (then {@link #safeCheckpoint()} covers every accepted record), or fails with the
     * first commit failure.
     */
    public CompletableFuture<Void> flush() throws InterruptedException {
        try {
            long sealStart = System.nanoTime();
            data.sealAll(sealed);
            errors.sealAll(sealed);
            recordFlushTime(sealStart);
        } catch (IOException e) {
            throw new UncheckedIOException("spool write failed for shard " + shardId, e);
        }
        commitSealed();
        tracker.lastAccepted().ifPresent(committer::sealed);
        CompletableFuture<Void> recorded = CompletableFuture.allOf(recording.toArray(CompletableFuture[]::new));
        return CompletableFuture.allOf(committer.flush(), recorded)
                .handle((ok, err) -> {
                    Throwable failure = uploadFailure != null ? uploadFailure : err == null ? null : unwrap(err);
                    if (failure != null) {
                        throw new CompletionException(failure);
                    }
                    return null;
                });
    }

    /** Lease lost: drop every buffer without committing; the new owner re-reads these records. */
    public void discard() {
        ctx.stats().bufferedRecords.add(-bufferedRecords());
        data.discardAll();
        errors.discardAll();
        committer.abandon();
    }

    /** The lease is over: this shard's counts leave the metrics (uploads still finishing count nowhere). */
    public void release() {
        ctx.stats().shardReleased(shardId, counts);
    }

    /** The highest sequence number whose records are all in committed files, if any. */
    public Optional<SequenceNumber> safeCheckpoint() {
        return tracker.safeCheckpoint();
    }

    /** Since when the oldest accepted record not yet in a committed file waits (epoch millis), if any does. */
    public OptionalLong oldestPendingSinceMillis() {
        return tracker.oldestPendingSinceMillis();
    }

    public String shardId() {
        return shardId;
    }

    public long bufferedBytes() {
        return data.bufferedBytes() + errors.bufferedBytes();
    }

    public long bufferedRecords() {
        return data.bufferedRecords() + errors.bufferedRecords();
    }

    private void commitSealed() throws InterruptedException {
        for (SealedFile f : sealed) {
            long started = System.nanoTime();
            boolean isData = f.contentType().contains("parquet");
            CompletableFuture<Void> recorded = committer.commit(f).handle((done, err) -> {
                // Buffered until committed, whatever the outcome: records uploading are not durable yet.
                ctx.stats().bufferedRecords.add(-f.records());
                ctx.stats().uploadTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                if (err == null) {
                    tracker.completed(f.trackerId());
                    done.location().ifPresent(location -> {
                        (isData ? ctx.stats().dataFiles : ctx.stats().errorFiles).increment();
                        ctx.stats().stored(location, done.rows());
                    });
                    ctx.stats().outputBytes.add(done.bytes());
                    counts.written.add(f.records());
                } else if (leaseLost(err)) {
                    // not a failure: the new owner re-reads these records
                } else if (uploadFailure == null) {
                    ctx.stats().uploadFailures.increment();
                    uploadFailure = new UploadFailedException("commit of " + f.records() + " records of " + f.directory()
                            + " failed", unwrap(err));
                }
                return null;
            });
            recording.add(recorded);
            recorded.whenComplete((ok, err) -> recording.remove(recorded));
        }
        sealed.clear();
    }

    /** Time of the seal calls since {@code start}, spread over the files they finished. */
    private void recordFlushTime(long start) {
        if (!sealed.isEmpty()) {
            long each = (System.nanoTime() - start) / sealed.size();
            for (int i = 0; i < sealed.size(); i++) {
                ctx.stats().flushTimer.record(each, TimeUnit.NANOSECONDS);
            }
        }
    }

    private void failIfUploadFailed() {
        Throwable failure = uploadFailure;
        if (failure != null) {
            throw failure instanceof UploadFailedException u ? u : new UploadFailedException("upload failed", failure);
        }
    }

    private static boolean leaseLost(Throwable t) {
        Throwable cause = unwrap(t);
        return cause instanceof LeaseLostException || cause instanceof CancellationException;
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
