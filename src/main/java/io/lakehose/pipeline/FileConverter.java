package io.lakehose.pipeline;

import io.lakehose.buffer.BufferLimits;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;

/**
 * {@code convert}'s engine. One reader thread takes batches of records from a {@link BatchSource}
 * in input order; decoder threads decode and partition whole batches, any batch on any of them;
 * then each record goes to the writer that owns its directory ({@link DirectoryOwners}), a
 * {@link ShardPipeline} of its own (the input's shard id, {@code input.SourceId}; sequence numbers
 * from {@link InputPositions}). Every writer takes every batch in input order, so it sees its records
 * in order and knows the input's stream time at each of them.
 *
 * <p>So each directory is written by one pipeline, and its files hold the same rows whatever the
 * number of threads: a file ends by size, record count or age in the input's stream time, all
 * functions of the input (a file cut by the memory cap is the exception, see {@code MemoryBudget};
 * the fence still stores such rows once, since a directory's objects form one chain). With one
 * thread, the writer decodes its batches itself.
 */
public final class FileConverter {

    private static final DecodedBatch END = new DecodedBatch(
            new RecordBatch(0, 1, new byte[0], new int[0], new int[0], 0, null), "", 0, 1, () -> { });

    /**
     * Records decoded at once, at most: an input batch (4 MiB) is cut into slices of this many, so
     * that the decoded records waiting for their writer are a few MiB, not tens.
     */
    static final int SLICE_RECORDS = 1024;

    private final PipelineContext ctx;
    private final int decoders;
    private final int writers;
    private final String shardId;
    private final IntToLongFunction errorArrivalMicros;

    /** {@code threads} decoders and as many writers (one thread: one writer that decodes too). */
    public FileConverter(PipelineContext ctx, int threads, String shardId, long errorArrivalMicros) {
        this(ctx, threads, threads, shardId, file -> errorArrivalMicros);
    }

    /**
     * @param threads            decoder threads (1: the writers decode)
     * @param writers            writer pipelines; 1 for tables, which keep one watermark per shard
     * @param errorArrivalMicros per input file (its number), the arrival time given to its lines
     *                           that cannot be decoded (they have no event time), which dates their
     *                           error partition: the same in every run, or a second run on another
     *                           day would write them again into another partition
     */
    public FileConverter(PipelineContext ctx, int threads, int writers, String shardId,
                         IntToLongFunction errorArrivalMicros) {
        this.ctx = ctx.withLimits(ctx.limits().withoutAge());
        this.decoders = Math.max(1, threads) == 1 ? 0 : threads;
        this.writers = Math.max(1, Math.min(writers, Math.max(1, threads)));
        this.shardId = shardId;
        this.errorArrivalMicros = errorArrivalMicros;
    }

    /**
     * Converts every record; returns when every file is stored, or throws the first failure. When
     * reading the input fails, everything read before the failure is still committed before the
     * failure is thrown: the lake then holds a prefix of the input, which a second run with the
     * same input continues without duplicating it.
     */
    public void convert(BatchSource source) throws IOException, InterruptedException, ExecutionException {
        // Enough slices in flight that no thread waits for another, few enough that decoded records
        // stay young garbage.
        Semaphore inFlight = new Semaphore(4 * Math.max(decoders, writers) + 2);
        DirectoryOwners owners = new DirectoryOwners(writers);
        BlockingQueue<DecodedBatch> toDecode = new LinkedBlockingQueue<>();
        List<BlockingQueue<DecodedBatch>> toWrite = new ArrayList<>();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int i = 0; i < decoders; i++) {
            RecordDecoding decoding = new RecordDecoding(ctx);
            start("convert-decode-" + i, () -> {
                for (DecodedBatch b; (b = toDecode.take()) != END; ) {
                    b.decode(decoding, owners); // a failure is the batch's, and its writers throw it
                }
            }, new CompletableFuture<>());
        }
        for (int w = 0; w < writers; w++) {
            BlockingQueue<DecodedBatch> q = new LinkedBlockingQueue<>();
            toWrite.add(q);
            int writer = w;
            ShardPipeline pipeline = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
            RecordDecoding decoding = decoders == 0 ? new RecordDecoding(ctx) : null;
            CompletableFuture<Void> finished = new CompletableFuture<>();
            done.add(finished);
            start("convert-write-" + w, () -> write(writer, q, pipeline, decoding, owners), finished);
        }
        Exception readFailure = null;
        try {
            for (RecordBatch b; (b = source.next()) != null; ) {
                for (int from = 0; from < b.count(); from += SLICE_RECORDS) {
                    while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        rethrowIfFailed(done);
                    }
                    RecordBatch slice = b.count() <= SLICE_RECORDS ? b
                            : b.slice(from, Math.min(b.count(), from + SLICE_RECORDS));
                    DecodedBatch batch = new DecodedBatch(slice, shardId, errorArrivalMicros.applyAsLong(slice.file()), writers, inFlight::release);
                    if (decoders > 0) {
                        toDecode.put(batch);
                    }
                    for (BlockingQueue<DecodedBatch> q : toWrite) {
                        q.put(batch);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            readFailure = e;
        } finally {
            for (int i = 0; i < decoders; i++) {
                toDecode.put(END);
            }
            for (BlockingQueue<DecodedBatch> q : toWrite) {
                q.put(END); // unbounded: a failed writer's queue is simply left
            }
        }
        awaitWriters(done, readFailure);
    }

    /** One writer: its records of every batch, in input order; then every file stored. */
    private void write(int writer, BlockingQueue<DecodedBatch> queue, ShardPipeline pipeline, RecordDecoding decoding,
                       DirectoryOwners owners) throws Exception {
        for (DecodedBatch b; (b = queue.take()) != END; ) {
            if (decoding != null) {
                b.decode(decoding, owners);
            }
            b.feed(writer, pipeline);
            // A writer with nothing in this batch still flushes what the memory cap asks of it.
            pipeline.sealRequested();
            b.fed();
        }
        pipeline.flush().get();
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void start(String name, Work work, CompletableFuture<Void> done) {
        Thread t = new Thread(() -> {
            try {
                work.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** Waits until every writer has committed what it was given; then throws the read failure, if any. */
    private static void awaitWriters(List<CompletableFuture<Void>> writers, Exception readFailure)
            throws IOException, InterruptedException, ExecutionException {
        for (CompletableFuture<Void> w : writers) {
            try {
                w.get();
            } catch (ExecutionException e) {
                if (readFailure == null) {
                    throw e;
                }
                readFailure.addSuppressed(e.getCause());
            }
        }
        if (readFailure instanceof IOException io) {
            throw io;
        }
        if (readFailure != null) {
            throw (RuntimeException) readFailure;
        }
    }

    private static void rethrowIfFailed(List<CompletableFuture<Void>> writers) throws ExecutionException, InterruptedException {
        for (CompletableFuture<Void> w : writers) {
            if (w.isCompletedExceptionally()) {
                w.get();
            }
        }
    }
}
