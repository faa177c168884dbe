package io.lakehose.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;

/** Counts the AWS SDK's retries of S3 calls (lakehose_s3_retries_total), from the SDK's own metrics. */
public final class S3RetryCounter implements MetricPublisher {

    private final Counter retries;

    public S3RetryCounter(MeterRegistry registry) {
        this.retries = Counter.builder("lakehose.s3.retries").description("S3 requests retried by the SDK")
                .register(registry);
    }

    @Override
    public void publish(MetricCollection metrics) {
        for (Integer n : metrics.metricValues(CoreMetric.RETRY_COUNT)) {
            if (n != null && n > 0) {
                retries.increment(n);
            }
        }
    }

    @Override
    public void close() {
    }
}
