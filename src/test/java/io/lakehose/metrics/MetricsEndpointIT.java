package io.lakehose.metrics;

import io.lakehose.testing.Await;
import io.lakehose.testing.DeployedMetrics;
import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service as deployed (the jar, `run`) against the local stack: /health and /ready answer,
 * and /metrics carries every metric the Grafana dashboard and the alert rules use.
 */
class MetricsEndpointIT {

    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void metricsHealthAndReadyServeEverythingTheDashboardAndAlertsUse() throws Exception {
        // A folders worker serves all but the Iceberg adapter's series (IcebergWorkerTest checks those).
        Set<String> used = new TreeSet<>(DeployedMetrics.used());
        used.removeIf(m -> m.startsWith(DeployedMetrics.ICEBERG_PREFIX));
        assertThat(used).contains("lakehose_iterator_age_seconds", "lakehose_upload_duration_seconds_bucket");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            WorkerHarness h = new WorkerHarness(stack, "metrics", 2);
            Path schema = Files.writeString(tmp.resolve("orders.avsc"),
                    "{\"type\":\"record\",\"name\":\"orders\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");
            Path config = h.writeConfig(tmp.resolve("lakehose.yaml"), Map.of("http.port", Integer.toString(port),
                    "buffer.maxAgeSeconds", "1"));
            Files.writeString(config, "tables:\n  orders:\n    schema: \"" + schema + "\"\n",
                    StandardOpenOption.APPEND);
            List<byte[]> records = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                records.add(WorkerHarness.change(i, Instant.now()));
            }
            records.add("not json".getBytes(StandardCharsets.UTF_8));
            h.put(records);

            try (WorkerProcess worker = WorkerProcess.start(JAR, config, tmp, "worker")) {
                String base = "http://127.0.0.1:" + port;
                try {
                    awaitStatus(base + "/ready", 200, Duration.ofSeconds(60));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; worker log:\n" + worker.tail(60), e);
                }
                assertThat(get(base + "/health").statusCode()).isEqualTo(200);

                // Wait until the records are uploaded and checkpointed, so every meter has a sample.
                String scrape = Await.until("every record uploaded and checkpointed, as /metrics shows",
                        Duration.ofSeconds(90), Duration.ofMillis(500), () -> get(base + "/metrics").body(),
                        s -> s.contains("lakehose_objects_written_total{kind=\"error\"") && value(s,
                                "lakehose_rows_written_total{table=\"orders\"}") >= 60 && s.contains("lakehose_iterator_age_seconds{")
                                && perShard(s, "lakehose_records_written_total").values().stream().mapToDouble(d -> d).sum() >= 61);
                Set<String> exposed = DeployedMetrics.exposed(scrape);
                assertThat(exposed).as("metrics used by deploy/ dashboards and alerts").containsAll(used);
                assertThat(value(scrape, "lakehose_rows_written_total{table=\"orders\"}")).isEqualTo(60);
                assertThat(scrape).contains("lakehose_error_records_total{reason=\"invalid_json\"} 1.0");
                assertThat(value(scrape, "lakehose_schema_drift_total{table=\"orders\"}")).isPositive();
                // Received and written per shard (the stream's 2 shards), every record counted once.
                Map<String, Double> received = perShard(scrape, "lakehose_records_received_total");
                assertThat(received.keySet()).as("shards with received records").hasSize(2)
                        .allMatch(k -> k.matches("metrics/shardId-\\d+"));
                assertThat(received.values().stream().mapToDouble(d -> d).sum()).isEqualTo(61);
                assertThat(perShard(scrape, "lakehose_records_written_total").values().stream().mapToDouble(d -> d).sum())
                        .as("rows and error lines in stored objects").isEqualTo(61);
                assertThat(perShard(scrape, "lakehose_iterator_age_seconds").keySet()).isSubsetOf(received.keySet());
                assertThat(scrape).doesNotContain("sequence_number").doesNotContain("lakehosetestsecret");
                // No label carries an unbounded value: only these label names appear on lakehose_ metrics.
                Matcher labels = Pattern.compile("^lakehose_[a-z_]+\\{([^}]*)}", Pattern.MULTILINE).matcher(scrape);
                Set<String> labelNames = new TreeSet<>();
                while (labels.find()) {
                    for (String kv : labels.group(1).split(",")) {
                        labelNames.add(kv.split("=")[0]);
                    }
                }
                assertThat(labelNames).isSubsetOf("stream", "shard", "table", "reason", "kind", "le");

                worker.sigterm();
                assertThat(worker.waitFor(Duration.ofSeconds(60))).isZero();
            }
        }
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return -1;
    }

    /** "stream/shard" -> value of every series of {@code name}; fails on a series without both labels. */
    private static Map<String, Double> perShard(String scrape, String name) {
        Map<String, Double> values = new TreeMap<>();
        Matcher m = Pattern.compile("^" + name + "\\{([^}]*)} (\\S+)$", Pattern.MULTILINE).matcher(scrape);
        while (m.find()) {
            Matcher shard = Pattern.compile("shard=\"([^\"]+)\"").matcher(m.group(1));
            Matcher stream = Pattern.compile("stream=\"([^\"]+)\"").matcher(m.group(1));
            assertThat(shard.find() && stream.find()).as("stream and shard labels on %s{%s}", name, m.group(1)).isTrue();
            values.put(stream.group(1) + "/" + shard.group(1), Double.parseDouble(m.group(2)));
        }
        return values;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitStatus(String url, int status, Duration timeout) {
        Await.until(url + " answers " + status, timeout, Duration.ofMillis(250), () -> {
            try {
                return get(url).statusCode() == status;
            } catch (IOException notYet) {
                return false; // not listening yet
            }
        });
    }
}
