package io.lakehose.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the whole machine was during a measurement, from Linux's /proc/stat, so that a row
 * disturbed by other processes can be told from a slow one. The load average cannot do this:
 * it lags by a minute and counts waiting tasks, not CPU use.
 */
final class MachineLoad {

    private static final Path STAT = Path.of("/proc/stat");

    /** Jiffies of all CPUs: busy (user, nice, system, irq, softirq, steal) and total; null if unknown. */
    record Sample(long busy, long total, long steal) {
    }

    static Sample sample() {
        try {
            String first = Files.readAllLines(STAT).get(0);
            String[] f = first.trim().split("\\s+");
            if (!f[0].equals("cpu") || f.length < 9) {
                return null;
            }
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            long steal = Long.parseLong(f[8]);
            long busy = user + nice + system + irq + softirq + steal;
            return new Sample(busy, busy + idle + iowait, steal);
        } catch (IOException | RuntimeException e) {
            return null; // not Linux, or an unexpected format: the column shows n/a
        }
    }

    /**
     * Share of the machine's CPU capacity used by other processes (and stolen by the hypervisor)
     * between two samples, given this process's CPU time in that interval; NaN if unknown.
     */
    static double othersShare(Sample before, Sample after, long ownCpuNanos, long wallNanos) {
        if (before == null || after == null || ownCpuNanos < 0 || after.total <= before.total) {
            return Double.NaN;
        }
        double busyShare = (double) (after.busy - before.busy) / (after.total - before.total);
        double ownShare = ownCpuNanos / ((double) wallNanos * Runtime.getRuntime().availableProcessors());
        return Math.max(0, busyShare - ownShare);
    }
}
