package io.lakehose.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benches' percentiles come from real histogram buckets, never from a registry that keeps none. */
class StatsTest {

    private static Timer timer(MeterRegistry registry) {
        Timer t = Timer.builder("t").publishPercentileHistogram().register(registry);
        for (int i = 1; i <= 100; i++) {
            t.record(Duration.ofMillis(i * 10L)); // 10 ms .. 1 s
        }
        return t;
    }

    @Test
    void aPercentileIsTheBucketBoundHoldingIt() {
        Timer t = timer(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        double p50 = Stats.percentileMillis(t, 0.5);
        assertThat(p50).isBetween(500.0, 700.0); // the true median is 500 ms; buckets round up
        assertThat(Stats.percentileMillis(t, 0.99)).isGreaterThan(p50).isLessThanOrEqualTo(1_000.0); // never above the max
        assertThat(Stats.percentileMillis(t, 1.0)).isEqualTo(1_000.0);
    }

    @Test
    void aRegistryWithoutBucketsIsRefused() {
        Timer t = timer(new SimpleMeterRegistry());
        assertThatThrownBy(() -> Stats.percentileMillis(t, 0.5)).hasMessageContaining("no histogram buckets");
    }
}
