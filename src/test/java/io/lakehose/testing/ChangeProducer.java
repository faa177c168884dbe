package io.lakehose.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * Puts records {@code 0..total-1} into a harness's stream, in batches at a fixed pace, from its
 * own thread, while workers read them. {@link #all()} is, by index, the "shard/sequence" each
 * record got, so a test can say which records it expects where.
 */
public final class ChangeProducer implements AutoCloseable {

    private static final Instant T0 = Instant.parse("2024-11-25T07:00:00Z");

    private final WorkerHarness h;
    private final int total;
    private final int batch;
    private final Duration period;
    private final IntFunction<byte[]> record;
    private final List<String> put = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;
    private volatile boolean finished;
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

    /** Record {@code i}: a change of DynamoDB table "orders" in one of three hours, so every shard interleaves three partitions. */
    public static byte[] change(int i) {
        return change(i, "orders");
    }

    /** Record {@code i} as a change of DynamoDB table {@code table}, in one of three hours. */
    public static byte[] change(int i, String table) {
        return WorkerHarness.change(i, T0.plus(Duration.ofHours(i % 3)).plusMillis(i * 10L), table);
    }

    /** A bad record for index {@code i}: not JSON (even {@code i}), or JSON that is no change record (odd). */
    public static byte[] bad(int i) {
        return (i % 2 == 0 ? "not json {" + i : "{\"hello\": " + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** Record {@code i}: {@link #bad(int)} where {@code isBad} holds, else {@link #change(int, String)}. */
    public static IntFunction<byte[]> changesWithBad(IntPredicate isBad, String table) {
        return i -> isBad.test(i) ? bad(i) : change(i, table);
    }

    public ChangeProducer start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            long next = System.nanoTime();
            for (int i = 0; i < total && !stop && !finished; i += batch) {
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

    /**
     * Puts no batch after the one in flight: {@code total} is then an upper bound, for a test
     * whose records must flow until it has done something (its kill rounds), however long that takes.
     * {@link #awaitDone} then waits for that batch, and {@link #all()} holds every record put.
     */
    public void finish() {
        finished = true;
    }

    /** Waits for the last record put; false at the timeout. A failed put fails the caller. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        if (failure != null) {
            throw new AssertionError("producer of " + h.stream() + " failed", failure);
        }
        return !thread.isAlive() && (finished || count() == total);
    }

    /**
     * Stops after the batch being put (without interrupting it, so every record sent is known)
     * and returns, by index, the "shard/sequence" of every record put. A failed put fails the caller.
     */
    public List<String> stop(Duration timeout) throws InterruptedException {
        stop = true;
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new AssertionError("producer of " + h.stream() + " still putting " + timeout + " after the stop");
        }
        if (failure != null) {
            throw new AssertionError("producer of " + h.stream() + " failed", failure);
        }
        return all();
    }

    /** By index, the "shard/sequence" of every record put so far. */
    public List<String> all() {
        synchronized (put) {
            return List.copyOf(put);
        }
    }

    /** "shard/sequence" of the records put so far whose index matches {@code which}. */
    public Set<String> ids(IntPredicate which) {
        List<String> all = all();
        Set<String> ids = new TreeSet<>();
        for (int i = 0; i < all.size(); i++) {
            if (which.test(i)) {
                ids.add(all.get(i));
            }
        }
        return ids;
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
    }
}
