package io.lakehose.pipeline;

import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code convert}'s engine: one reader thread cuts the input into line batches and deals them
 * round-robin to N workers, each running its own {@link ShardPipeline} (shard id "local",
 * sequence number = line number). Workers never share buffers, so all cores encode in parallel;
 * batch i always goes to worker i mod N, so the same input and N give the same files.
 */
public final class FileConverter {

    private static final int BATCH_BYTES = 4 * 1024 * 1024;
    private static final LineBatchReader.Batch END = new LineBatchReader.Batch(-1, 0, new byte[0], new int[0], new int[0], 0);

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

    /** Converts every line; returns when every file is stored, or throws the first failure. */
    public void convert(InputStream in) throws IOException, InterruptedException, ExecutionException {
        List<BlockingQueue<LineBatchReader.Batch>> queues = new ArrayList<>();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            BlockingQueue<LineBatchReader.Batch> q = new ArrayBlockingQueue<>(2);
            queues.add(q);
            ShardPipeline pipeline = new ShardPipeline(shardId, ctx, ctx.committer().openShard(shardId, false));
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread t = new Thread(() -> work(q, pipeline, done), "convert-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(done);
        }
        LineBatchReader reader = new LineBatchReader(in, BATCH_BYTES);
        try {
            for (LineBatchReader.Batch b; (b = reader.next()) != null; ) {
                BlockingQueue<LineBatchReader.Batch> q = queues.get((int) (b.index() % threads));
                while (!q.offer(b, 100, TimeUnit.MILLISECONDS)) {
                    rethrowIfFailed(workers);
                }
            }
        } finally {
            for (int i = 0; i < threads; i++) {
                if (!workers.get(i).isDone()) {
                    queues.get(i).put(END); // a live worker drains its queue, so this cannot block for long
                }
            }
        }
        for (CompletableFuture<Void> w : workers) {
            w.get();
        }
    }

    private void work(BlockingQueue<LineBatchReader.Batch> queue, ShardPipeline pipeline, CompletableFuture<Void> done) {
        try {
            for (LineBatchReader.Batch b; (b = queue.take()) != END; ) {
                for (int i = 0; i < b.count(); i++) {
                    SequenceNumber seq = SequenceNumber.of(b.firstLine() + i);
                    pipeline.accept(new SourceRecord(shardId, seq, errorArrivalMicros, b.data(), b.starts()[i],
                            b.ends()[i] - b.starts()[i]));
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
