package io.lakehose.buffer;

import io.lakehose.checkpoint.CheckpointTracker;
import io.lakehose.decode.SequenceNumber;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The open files of one shard for one kind of output (data rows or error lines), one file per
 * directory (partition). Decides when a file is finished: size, record count, arrival-time age,
 * or a request from the global {@link MemoryBudget}. Owned by the shard's thread; not thread-safe.
 */
public final class BufferSet<T> {

    private final String shardId;
    private final Path spoolDir;
    private final SpoolWriter.Factory<T> factory;
    private final BufferLimits limits;
    private final MemoryBudget budget;
    private final CheckpointTracker tracker;
    private final Map<String, OpenFile<T>> open = new HashMap<>();
    private long earliestDeadline = Long.MAX_VALUE;
    private long seenRequests;

    public BufferSet(String shardId, Path spoolDir, SpoolWriter.Factory<T> factory, BufferLimits limits,
                     MemoryBudget budget, CheckpointTracker tracker) {
        this.shardId = shardId;
        this.spoolDir = spoolDir;
        this.factory = factory;
        this.limits = limits;
        this.budget = budget;
        this.tracker = tracker;
    }

    /**
     * Adds {@code item} (the record {@code sequence}) to the file of {@code directory}. Files that
     * this finishes are added to {@code sealed}; the caller uploads them.
     */
    public void append(String directory, T item, SequenceNumber sequence, long arrivalMicros,
                       List<SealedFile> sealed) throws IOException {
        OpenFile<T> f = open.get(directory);
        if (f == null) {
            Path spool = spoolDir.resolve(shardId + "-" + UUID.randomUUID() + ".tmp");
            SpoolWriter<T> writer = factory.open(spool, item);
            f = new OpenFile<>(directory, writer, budget.register(), tracker.opened(), sequence, arrivalMicros);
            open.put(directory, f);
            earliestDeadline = Math.min(earliestDeadline, f.deadline(limits));
        }
        f.writer.append(item);
        f.last = sequence;
        f.records++;
        if ((f.records & 7) == 1) {
            budget.update(f.handle, f.writer.inMemoryBytes());
        }
        if (f.records >= limits.maxRecords() || f.records >= f.nextSizeCheck && f.sizeReached(limits.maxBytes())) {
            sealed.add(seal(f));
            open.remove(directory);
        }
    }

    /** Finishes files whose first record arrived at least maxAge before {@code streamTimeMicros}. */
    public void sealExpired(long streamTimeMicros, List<SealedFile> sealed) throws IOException {
        if (streamTimeMicros < earliestDeadline) {
            return;
        }
        sealWhere(f -> f.deadline(limits) <= streamTimeMicros, sealed);
    }

    /** Finishes the files the memory budget asked this shard to flush. */
    public void sealRequested(List<SealedFile> sealed) throws IOException {
        long now = budget.requests();
        if (now == seenRequests) {
            return;
        }
        seenRequests = now;
        sealWhere(f -> f.handle.flushRequested, sealed);
    }

    /** Finishes every open file (shutdown, shard end, end of input). */
    public void sealAll(List<SealedFile> sealed) throws IOException {
        sealWhere(f -> true, sealed);
    }

    /** Throws every open file away without uploading (lease lost): the next owner re-reads them. */
    public void discardAll() {
        for (OpenFile<T> f : open.values()) {
            f.writer.abort();
            budget.release(f.handle);
        }
        open.clear();
        earliestDeadline = Long.MAX_VALUE;
    }

    public int openFiles() {
        return open.size();
    }

    public long bufferedBytes() {
        long sum = 0;
        for (OpenFile<T> f : open.values()) {
            sum += f.writer.dataSize();
        }
        return sum;
    }

    public long bufferedRecords() {
        long sum = 0;
        for (OpenFile<T> f : open.values()) {
            sum += f.records;
        }
        return sum;
    }

    private void sealWhere(Predicate<OpenFile<T>> which, List<SealedFile> sealed) throws IOException {
        // Seal in order of first record, so uploads of one shard start in shard order.
        List<OpenFile<T>> chosen = new ArrayList<>();
        for (Iterator<OpenFile<T>> it = open.values().iterator(); it.hasNext(); ) {
            OpenFile<T> f = it.next();
            if (which.test(f)) {
                chosen.add(f);
                it.remove();
            }
        }
        chosen.sort((a, b) -> a.first.compareTo(b.first));
        for (OpenFile<T> f : chosen) {
            sealed.add(seal(f));
        }
        earliestDeadline = Long.MAX_VALUE;
        for (OpenFile<T> f : open.values()) {
            earliestDeadline = Math.min(earliestDeadline, f.deadline(limits));
        }
    }

    private SealedFile seal(OpenFile<T> f) throws IOException {
        try {
            f.writer.close();
        } catch (IOException | RuntimeException e) {
            f.writer.abort();
            throw e;
        } finally {
            budget.release(f.handle);
        }
        long bytes = Files.size(f.writer.path());
        return new SealedFile(f.writer.path(), f.directory, f.writer.extension(), f.writer.contentType(), bytes, f.records,
                f.first, f.last,
                f.trackerId);
    }

    private static final class OpenFile<T> {
        static final int MAX_CHECK_GAP = 64;
        final String directory;
        final SpoolWriter<T> writer;
        final MemoryBudget.Handle handle;
        final long trackerId;
        final SequenceNumber first;
        final long firstArrivalMicros;
        SequenceNumber last;
        long records;
        long nextSizeCheck;

        OpenFile(String directory, SpoolWriter<T> writer, MemoryBudget.Handle handle, long trackerId,
                 SequenceNumber first, long firstArrivalMicros) {
            this.directory = directory;
            this.writer = writer;
            this.handle = handle;
            this.trackerId = trackerId;
            this.first = first;
            this.firstArrivalMicros = firstArrivalMicros;
            this.last = first;
        }

        /**
         * Whether the file holds {@code maxBytes}; if not, when to ask again. Asking the Parquet
         * writer sums every column's buffers (2.4% of convert's CPU in a profile when asked per record), so the
         * next check is halfway to the limit at the average record size so far, at most
         * {@value #MAX_CHECK_GAP} records on: a function of the records, like the size itself.
         */
        boolean sizeReached(long maxBytes) {
            long size = writer.dataSize();
            if (size >= maxBytes) {
                return true;
            }
            long perRecord = Math.max(1, size / records);
            nextSizeCheck = records + Math.max(1, Math.min(MAX_CHECK_GAP, (maxBytes - size) / perRecord / 2));
            return false;
        }

        long deadline(BufferLimits limits) {
            long d = firstArrivalMicros + limits.maxAgeMicros();
            return d < firstArrivalMicros ? Long.MAX_VALUE : d; // overflow: never by age
        }
    }
}
