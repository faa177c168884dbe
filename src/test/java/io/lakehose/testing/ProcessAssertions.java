package io.lakehose.testing;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the worker-process ITs wait for and check: polls that fail at once when the worker they
 * watch exits, checkpoints and leases read from the lease table, facts read from a worker's log
 * (its KCL worker id, leases taken and lost, exceptions KCL caught from the record processor) and
 * the exactly-once check of the rows ("shard/sequence") found against the records put.
 */
public final class ProcessAssertions {

    /** The lease taker names its own worker: "Worker host:uuid saw ...", "... successfully took ...". */
    private static final Pattern WORKER_ID = Pattern.compile("Worker (\\S+) (?:saw|successfully took|needed|lost lease)");

    /** What KCL logs when a record processor callback throws. */
    private static final Pattern PROCESSOR_THREW = Pattern.compile(
            "Application initialize\\(\\) threw|Application processRecords\\(\\) threw|Application exception\\.");

    private static final Pattern SHARD = Pattern.compile("shardId-\\d+");

    private ProcessAssertions() {
    }

    // ---------------------------------------------------------------------------------------------
    // waits

    /** Polls {@code done} every 200 ms until true; fails at the timeout, or at once if {@code w} exits. */
    public static void poll(String what, Duration timeout, WorkerProcess w, BooleanSupplier done) {
        poll(what, timeout, w, done, 200);
    }

    /**
     * Polls {@code done} every {@code everyMillis} until true; fails at the timeout (quoting the end
     * of {@code w}'s log), or at once if {@code w} exits. {@code w} may be null: nothing to watch.
     */
    public static void poll(String what, Duration timeout, WorkerProcess w, BooleanSupplier done, long everyMillis) {
        Await.until(() -> what + (w == null ? "" : "\n" + w.tail(60)), timeout, Duration.ofMillis(everyMillis), () -> {
            if (done.getAsBoolean()) {
                return true;
            }
            if (w != null && !w.isAlive()) {
                throw new AssertionError("waiting for " + what + ": " + w + " exited\n" + w.tail(60));
            }
            return false;
        });
    }

    /** Like {@link #poll}, but returns false at the timeout instead of failing. */
    public static boolean pollQuietly(Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Await.sleep(200);
        }
        return true;
    }

    /** Waits (reading the lease table every 250 ms) until the checkpoints are {@code expected}. */
    public static void awaitCheckpoints(WorkerHarness h, Map<String, String> expected, WorkerProcess w, Duration timeout) {
        AtomicReference<Map<String, String>> seen = new AtomicReference<>();
        try {
            poll("checkpoints at the last sequence numbers", timeout, w, () -> {
                seen.set(h.checkpoints());
                return seen.get().equals(expected);
            }, 250);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nexpected " + expected + "\nlast seen " + seen.get(), e);
        }
    }

    /**
     * Waits for the producer's last record (failing after {@code producing}), then until the lease
     * table's checkpoints are at the last records put (failing after {@code checkpointing}, or at
     * once if {@code w} exits); returns the records put.
     */
    public static List<String> awaitEverythingCheckpointed(WorkerHarness h, ChangeProducer producer, WorkerProcess w,
                                                           Duration producing, Duration checkpointing)
            throws InterruptedException {
        assertThat(producer.awaitDone(producing)).as("producer finished").isTrue();
        List<String> put = producer.all();
        awaitCheckpoints(h, WorkerHarness.lastSequenceByShard(put), w, checkpointing);
        return put;
    }

    /** Waits until the worker has exited or logged handling the loss of {@code n} leases (a frozen owner woken up). */
    public static void awaitLeasesLost(WorkerProcess w, int n, Duration timeout) {
        poll(w + " noticing that it lost " + n + " leases", timeout, null, () -> !w.isAlive() || shardsLost(w).size() == n);
    }

    /** Waits until the worker has logged taking {@code n} leases. */
    public static void awaitLeases(WorkerProcess w, int n, Duration timeout) {
        poll(n + " leases taken by " + w, timeout, w, () -> count(w, "lease taken at") >= n);
    }

    // ---------------------------------------------------------------------------------------------
    // a worker's log

    /** How often {@code text} stands in the worker's log. */
    public static long count(WorkerProcess w, String text) {
        return w.logText().split(Pattern.quote(text), -1).length - 1L;
    }

    /** Shards whose lease loss the worker has handled ("lease lost; dropped ..." or "lease released"). */
    public static Set<String> shardsLost(WorkerProcess w) {
        Set<String> shards = new TreeSet<>();
        w.logText().lines().filter(l -> l.contains("lease lost") || l.contains("lease released")).forEach(l -> {
            Matcher m = SHARD.matcher(l);
            if (m.find()) {
                shards.add(m.group());
            }
        });
        return shards;
    }

    /**
     * The KCL worker id (the lease table's {@code leaseOwner}) of a worker, from its lease taker's
     * log lines about itself ("Worker host:uuid saw 4 total leases", "... successfully took").
     */
    public static String workerId(WorkerProcess w) {
        Matcher m = WORKER_ID.matcher(w.logText());
        if (!m.find()) {
            throw new AssertionError("no KCL worker id in the log of " + w + "\n" + w.tail(40));
        }
        return m.group(1);
    }

    /**
     * The record processor must never throw into KCL (docs/design.md, "Input" and "Shard
     * lifecycle": a bad record or a lost lease never stops a shard; KCL skips a batch whose
     * processRecords throws, and retries a throwing leaseLost forever). KCL logs these lines when it
     * catches one.
     */
    public static void assertNoProcessorExceptions(Collection<WorkerProcess> workers) {
        List<String> thrown = new ArrayList<>();
        for (WorkerProcess w : workers) {
            List<String> lines = w.logText().lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (PROCESSOR_THREW.matcher(lines.get(i)).find()) {
                    // the line KCL logs, and its cause: inside that line's "exception" field (JSON
                    // logs) or on a line below it (LAKEHOSE_LOG_FORMAT=text)
                    String cause = lines.subList(i, Math.min(lines.size(), i + 30)).stream()
                            .filter(l -> l.contains("Caused by:")).findFirst()
                            .map(l -> l.substring(l.indexOf("Caused by:"), Math.min(l.length(), l.indexOf("Caused by:") + 300)))
                            .orElse("");
                    thrown.add(w.name() + ": " + lines.get(i) + (cause.isEmpty() ? "" : " / " + cause));
                }
            }
        }
        assertThat(thrown).as("record processor exceptions caught by KCL (%d)", thrown.size()).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // checkpoints and rows

    public static boolean isNumber(String s) {
        return s != null && !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** Every shard of {@code target} has a numeric checkpoint at or past it. */
    public static boolean atOrPast(Map<String, String> checkpoints, Map<String, String> target) {
        return target.entrySet().stream().allMatch(e -> {
            String cp = checkpoints.get(e.getKey());
            return isNumber(cp) && new BigInteger(cp).compareTo(new BigInteger(e.getValue())) >= 0;
        });
    }

    /** The sequence number of a "shard/sequence". */
    public static BigInteger sequence(String shardSlashSequence) {
        return new BigInteger(shardSlashSequence.substring(shardSlashSequence.indexOf('/') + 1));
    }

    /** {@code actual} ("shard/sequence") holds each of {@code expected} once, and nothing else. */
    public static void assertExactlyOnce(String what, List<String> actual, Set<String> expected) {
        Map<String, Long> counts = counts(actual);
        Set<String> lost = new TreeSet<>(expected);
        lost.removeAll(counts.keySet());
        Set<String> unexpected = new TreeSet<>(counts.keySet());
        unexpected.removeAll(expected);
        assertNoDuplicates(what, counts, actual.size());
        assertThat(lost).as("%s lost (%d of %d)", what, lost.size(), expected.size()).isEmpty();
        assertThat(unexpected).as("%s never put", what).isEmpty();
    }

    /** As above; {@code expected} (the records put, in order) must hold no id twice. */
    public static void assertExactlyOnce(String what, List<String> actual, List<String> expected) {
        assertThat(expected).doesNotHaveDuplicates();
        assertExactlyOnce(what, actual, new HashSet<>(expected));
    }

    /** No "shard/sequence" twice in {@code actual}. */
    public static void assertNoDuplicates(String what, List<String> actual) {
        assertNoDuplicates(what, counts(actual), actual.size());
    }

    private static void assertNoDuplicates(String what, Map<String, Long> counts, int size) {
        Map<String, Long> duplicated = new TreeMap<>();
        counts.forEach((id, n) -> {
            if (n > 1) {
                duplicated.put(id, n);
            }
        });
        assertThat(duplicated).as("%s duplicated (shard/sequence -> count), %d of %d", what, duplicated.size(), size)
                .isEmpty();
    }

    private static Map<String, Long> counts(List<String> ids) {
        return ids.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }
}
