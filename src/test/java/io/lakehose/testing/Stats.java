package io.lakehose.testing;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** The figures the benchmarks report over several runs: median and range. */
public final class Stats {

    private Stats() {
    }

    public static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    public static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    public static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    /** The upper bound, in ms, of the histogram bucket that holds the quantile of a timer's recordings, at most their maximum. */
    public static double percentileMillis(Timer timer, double quantile) {
        CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
        if (buckets.length == 0) {
            // A SimpleMeterRegistry keeps no buckets: a "percentile" would silently be the maximum.
            throw new IllegalArgumentException("timer " + timer.getId().getName() + " has no histogram buckets "
                    + "in this registry; bind it to a PrometheusMeterRegistry");
        }
        double wanted = quantile * timer.count();
        for (CountAtBucket b : buckets) {
            if (b.count() >= wanted) {
                // A bucket's bound can lie far above every recording (Micrometer's buckets grow ~30 % a step).
                return Math.min(b.bucket(TimeUnit.MILLISECONDS), timer.max(TimeUnit.MILLISECONDS));
            }
        }
        return timer.max(TimeUnit.MILLISECONDS);
    }
}
