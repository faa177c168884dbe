package io.lakehose.pipeline;

import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.decode.SourceRecord;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code convert}'s engine: one reader thread takes batches of records from a {@link BatchSource}
 * and deals them round-robin to N workers, each running its own {@link ShardPipeline} (shard id
 * "local", sequence numbers from {@link InputPositions}). Workers never share buffers, so all
 * cores encode in parallel; batch i always goes to worker i mod N, so the same input and N give
 * the same files.
 */
public final class FileConverter {

    private static final RecordBatch END = new RecordBatch(0, 1, new byte[0], new int[0], new int[0], 0, null);

    private final PipelineContext ctx;
    private final int threads;
    private final String shardId;
    private final long errorArrivalMicros;

    /**
     * @param errorArrivalMicros arrival time given to lines that cannot be decoded (they have no
     *                           event time): the run's start, so their error partition is today
     */
    public FileConverter(PipelineContext ctx, int threads, String shardId, long errorArrivalMicros) {
        this.ctx = ctx;
        this.threads = Math.max(1, threads);
        this.shardId = shardId;
        this.errorArrivalMicros = errorArrivalMicros;
    }

    /**
     * Converts every record; returns when every file is stored, or throws the first failure. When
     * reading the input fails, everything read before the failure is still committed before the
     * failure is thrown: the lake then holds a prefix of the input, which a second run with the
     * same input and thread count continues without duplicating it.
     */
    public void convert(BatchSource source) throws IOException, InterruptedException, ExecutionException {
        List<BlockingQueue<RecordBatch>> queues = new ArrayList<>();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            BlockingQueue<RecordBatch> q = new ArrayBlockingQueue<>(2);
            queues.add(q);
            ShardPipeline pipeline = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread t = new Thread(() -> work(q, pipeline, done), "convert-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(done);
        }
        Exception readFailure = null;
        try {
            long dealt = 0;
            for (RecordBatch b; (b = source.next()) != null; dealt++) {
                BlockingQueue<RecordBatch> q = queues.get((int) (dealt % threads));
                while (!q.offer(b, 100, TimeUnit.MILLISECONDS)) {
                    rethrowIfFailed(workers);
                }
            }
        } catch (IOException | RuntimeException e) {
            readFailure = e;
        } finally {
            for (int i = 0; i < threads; i++) {
                if (!workers.get(i).isDone()) {
                    queues.get(i).put(END); // a live worker drains its queue, so this cannot block for long
                }
            }
        }
        awaitWorkers(workers, readFailure);
    }

    /** Waits until every worker has committed what it was given; then throws the read failure, if any. */
    private static void awaitWorkers(List<CompletableFuture<Void>> workers, Exception readFailure)
            throws IOException, InterruptedException, ExecutionException {
        for (CompletableFuture<Void> w : workers) {
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

    private void work(BlockingQueue<RecordBatch> queue, ShardPipeline pipeline, CompletableFuture<Void> done) {
        try {
            for (RecordBatch b; (b = queue.take()) != END; ) {
                for (int i = 0; i < b.count(); i++) {
                    SourceRecord record = new SourceRecord(shardId, b.sequence(i), errorArrivalMicros, b.data(),
                            b.starts()[i], b.ends()[i] - b.starts()[i]);
                    String unreadable = b.unreadableReason(i);
                    if (unreadable == null) {
                        pipeline.accept(record);
                    } else {
                        pipeline.acceptUnreadable(record, new DecodeException(ErrorCode.INVALID_JSON, unreadable));
                    }
                }
            }
            pipeline.flush().get();
            done.complete(null);
        } catch (Throwable t) {
            done.completeExceptionally(t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t);
            queue.clear(); // unblock the reader
        }
    }

    private static void rethrowIfFailed(List<CompletableFuture<Void>> workers) throws ExecutionException, InterruptedException {
        for (CompletableFuture<Void> w : workers) {
            if (w.isCompletedExceptionally()) {
                w.get();
            }
        }
    }
}
