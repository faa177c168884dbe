package io.lakehose.pipeline;

import io.lakehose.decode.DecodeException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.decode.SourceRecord;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One batch of {@code convert}'s input on its way through {@link FileConverter}: decoded on any
 * thread, then fed to each writer's pipeline, records of the directories that writer owns only,
 * in input order.
 */
final class DecodedBatch {

    private final RecordBatch batch;
    private final String shardId;
    private final long errorArrivalMicros;
    private final CompletableFuture<Void> decoded = new CompletableFuture<>();
    private final AtomicInteger writersLeft;
    private final Runnable whenFed;
    private SourceRecord[] records;
    private RecordDecoding.Decoded[] outcomes;
    /** Per writer: the indexes of its records. */
    private int[][] byWriter;
    private int[] counts;

    /** @param whenFed run once every writer has taken its records (frees the batch's place in flight) */
    DecodedBatch(RecordBatch batch, String shardId, long errorArrivalMicros, int writers, Runnable whenFed) {
        this.batch = batch;
        this.shardId = shardId;
        this.errorArrivalMicros = errorArrivalMicros;
        this.writersLeft = new AtomicInteger(writers);
        this.whenFed = whenFed;
    }

    /** Decodes and partitions every record and picks each one's writer; never throws (a failure is kept for the writers). */
    void decode(RecordDecoding decoding, DirectoryOwners owners) {
        try {
            int n = batch.count();
            records = new SourceRecord[n];
            outcomes = new RecordDecoding.Decoded[n];
            byWriter = new int[owners.writers()][];
            counts = new int[owners.writers()];
            for (int i = 0; i < n; i++) {
                SourceRecord record = new SourceRecord(shardId, batch.sequence(i), errorArrivalMicros, batch.data(),
                        batch.starts()[i], batch.ends()[i] - batch.starts()[i]);
                String unreadable = batch.unreadableReason(i);
                RecordDecoding.Decoded d = unreadable == null
                        ? decoding.decode(record)
                        : decoding.failed(record, new DecodeException(ErrorCode.INVALID_JSON, unreadable));
                records[i] = record;
                outcomes[i] = d;
                add(owners.writerOf(d.directory()), i);
            }
            decoded.complete(null);
        } catch (Throwable t) {
            decoded.completeExceptionally(t);
        }
    }

    private void add(int writer, int record) {
        int[] list = byWriter[writer];
        if (list == null) {
            list = byWriter[writer] = new int[Math.max(16, batch.count() / byWriter.length)];
        } else if (counts[writer] == list.length) {
            list = byWriter[writer] = Arrays.copyOf(list, list.length * 2);
        }
        list[counts[writer]++] = record;
    }

    /** Waits until the batch is decoded, then gives {@code pipeline} the records of {@code writer}. */
    void feed(int writer, ShardPipeline pipeline) throws InterruptedException, ExecutionException {
        decoded.get();
        int[] list = byWriter[writer];
        for (int k = 0; k < counts[writer]; k++) {
            int i = list[k];
            pipeline.accept(records[i], outcomes[i]);
        }
    }

    /** This writer is done with the batch. */
    void fed() {
        if (writersLeft.decrementAndGet() == 0) {
            whenFed.run();
        }
    }
}
