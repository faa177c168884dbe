package io.lakehose.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of this JVM's threads by kind (JIT compilers, garbage collector, the rest), read from
 * Linux's /proc/self/task: the JVM's own beans give the CPU of Java threads only, not of its
 * compiler and GC threads, and "is the pipeline still warming up" is the question the bench's
 * steady-state figure must answer. A thread that ends between two samples takes its CPU with
 * it (the bench counts the process total less the JIT's and GC's as "the rest").
 */
final class JvmThreadCpu {

    private static final Path TASKS = Path.of("/proc/self/task");
    /** Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    /** The kinds of thread the bench reports apart. */
    enum Kind { JIT, GC, OTHER }

    /** CPU nanoseconds per thread id and that thread's kind; empty where /proc is not readable. */
    record Sample(Map<String, Long> nanosByTid, Map<String, Kind> kindByTid) {
    }

    /** CPU of one interval by kind; {@code available} false where /proc could not be read. */
    record Split(long jitNanos, long gcNanos, long otherNanos, boolean available) {
        static final Split NONE = new Split(0, 0, 0, false);
    }

    private JvmThreadCpu() {
    }

    static Sample sample() {
        Map<String, Long> nanos = new HashMap<>();
        Map<String, Kind> kinds = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    // Fields after the name: state is field 3, utime 14 and stime 15 of the whole line.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    String tid = task.getFileName().toString();
                    nanos.put(tid, ticks * NANOS_PER_TICK);
                    kinds.put(tid, kindOf(name));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we listed it: its CPU counts as unattributed
                }
            }
        } catch (IOException | RuntimeException e) {
            return new Sample(Map.of(), Map.of());
        }
        return new Sample(nanos, kinds);
    }

    /** HotSpot's names (as Linux truncates them to 15 characters) of its compiler and GC threads. */
    static Kind kindOf(String threadName) {
        if (threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre")
                || threadName.startsWith("Sweeper thread")) {
            return Kind.JIT;
        }
        // G1's workers and concurrent threads, Parallel's and Serial's; the VM Thread runs the
        // stop-the-world phases (all of SerialGC's collections) and other safepoint operations.
        if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ") || threadName.equals("VM Thread")) {
            return Kind.GC;
        }
        return Kind.OTHER;
    }

    /** CPU by kind between two samples, counting the threads alive at both. */
    static Split between(Sample before, Sample after) {
        if (before.nanosByTid().isEmpty() || after.nanosByTid().isEmpty()) {
            return Split.NONE;
        }
        long jit = 0;
        long gc = 0;
        long other = 0;
        for (Map.Entry<String, Long> e : after.nanosByTid().entrySet()) {
            long delta = e.getValue() - before.nanosByTid().getOrDefault(e.getKey(), 0L);
            switch (after.kindByTid().get(e.getKey())) {
                case JIT -> jit += delta;
                case GC -> gc += delta;
                default -> other += delta;
            }
        }
        return new Split(jit, gc, other, true);
    }
}
