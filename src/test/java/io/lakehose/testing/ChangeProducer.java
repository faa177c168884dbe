package io.lakehose.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Puts records {@code 0..total-1} into a harness's stream, in batches at a fixed pace, from its
 * own thread, while workers read them. {@link #all()} is, by index, the "shard/sequence" each
 * record got, so a test can say which records it expects where.
 */
public final class ChangeProducer implements AutoCloseable {

    private final WorkerHarness h;
    private final int total;
    private final int batch;
    private final Duration period;
    private final IntFunction<byte[]> record;
    private final List<String> put = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;
    private volatile Throwable failure;

    /** @param record the payload of record {@code i} (a change, or something bad) */
    public ChangeProducer(WorkerHarness h, int total, int batch, Duration period, IntFunction<byte[]> record) {
        this.h = h;
        this.total = total;
        this.batch = batch;
        this.period = period;
        this.record = record;
        this.thread = new Thread(this::run, "producer-" + h.stream());
        this.thread.setDaemon(true);
    }

    public ChangeProducer start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            long next = System.nanoTime();
            for (int i = 0; i < total && !stop; i += batch) {
                List<byte[]> records = new ArrayList<>();
                for (int j = i; j < Math.min(total, i + batch); j++) {
                    records.add(record.apply(j));
                }
                List<String> ids = h.put(records);
                synchronized (put) {
                    put.addAll(ids);
                }
                next += period.toNanos();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            failure = e;
        }
    }

    public int count() {
        synchronized (put) {
            return put.size();
        }
    }

    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Waits for the last record put; false at the timeout. A failed put fails the caller. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        if (failure != null) {
            throw new AssertionError("producer of " + h.stream() + " failed", failure);
        }
        return !thread.isAlive() && count() == total;
    }

    /** By index, the "shard/sequence" of every record put so far. */
    public List<String> all() {
        synchronized (put) {
            return List.copyOf(put);
        }
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
    }
}
