package io.lakehose.kcl;

import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.Stats;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start to consuming: how long a worker process takes from its JVM's start to its first record
 * received (the {@code lakehose_records_received_total} counter of its /metrics above 0), on the
 * local stack (kinesis-local, DynamoDB Local, S3Proxy), with the service's fat jar as the image
 * runs it: {@code java -jar target/lakehose.jar run --config FILE}. One shard whose lease is in
 * the lease table already (a deployed service's state) and holds records. Each run is a new
 * stream and application. Not a test: skipped unless {@code -Dlakehose.bench=true}:
 *
 * <pre>
 * mvn -B -o package -DskipTests &amp;&amp; mvn -B -o test -Dtest=StartToConsumingBench \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlakehose.bench=true
 * </pre>
 *
 * Options: {@code lakehose.bench.runs} (5), {@code lakehose.bench.jar} (target/lakehose.jar),
 * {@code lakehose.bench.jvmArgs} (extra JVM options, space-separated, e.g. the class-data archive).
 * The goal (issue 16): at most 5 s.
 */
@EnabledIfSystemProperty(named = "lakehose.bench", matches = "true")
class StartToConsumingBench {

    private static final int RUNS = Integer.getInteger("lakehose.bench.runs", 5);
    private static final Path JAR = Path.of(System.getProperty("lakehose.bench.jar", "target/lakehose.jar"));
    private static final String JVM_ARGS = System.getProperty("lakehose.bench.jvmArgs", "");
    private static final String RECEIVED = "lakehose_records_received_total";

    @TempDir
    Path tmp;

    @Test
    void measure() throws Exception {
        assertThat(JAR).as("the service's fat jar (mvn package)").isRegularFile();
        List<Double> toLease = new ArrayList<>();
        List<Double> toConsuming = new ArrayList<>();
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            for (int run = 0; run < RUNS; run++) {
                WorkerHarness h = new WorkerHarness(stack, "start-bench-" + run, 1);
                List<byte[]> records = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    records.add(WorkerHarness.change(i, Instant.parse("2024-11-25T07:30:00Z").plusSeconds(i)));
                }
                h.put(records);
                double[] t = startOnce(h, run);
                toLease.add(t[0]);
                toConsuming.add(t[1]);
                System.out.printf(Locale.ROOT, "run %d: start to lease taken %.2f s, to first record received %.2f s%n",
                        run + 1, t[0], t[1]);
            }
        }
        System.out.printf(Locale.ROOT, "start to consuming (%s %s), %d runs, load average before %s, after %s:%n"
                        + "  to lease taken: median %.2f s (%.2f-%.2f); to first record received: median %.2f s (%.2f-%.2f)"
                        + " - goal <= 5 s: %s%n", JVM_ARGS.isBlank() ? "java -jar" : "java " + JVM_ARGS + " -jar", JAR,
                RUNS, loadBefore, Files.readString(Path.of("/proc/loadavg")).trim(),
                Stats.median(toLease), Stats.min(toLease), Stats.max(toLease),
                Stats.median(toConsuming), Stats.min(toConsuming), Stats.max(toConsuming),
                Stats.median(toConsuming) <= 5 ? "met" : "not met");
    }

    /** {seconds to the "lease taken" log line, seconds to the first record received}. */
    private double[] startOnce(WorkerHarness h, int run) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("run-" + run));
        int port = freePort();
        Path yaml = h.writeConfig(dir.resolve("worker.yaml"), Map.of("http.port", Integer.toString(port)));
        Path log = dir.resolve("worker.log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : JVM_ARGS.trim().split("\\s+")) {
            if (!a.isEmpty()) {
                command.add(a);
            }
        }
        command.addAll(List.of("-Xmx512m", "-jar", JAR.toString(), "run", "--config", yaml.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LAKEHOSE_") || k.startsWith("AWS_"));
        pb.environment().putAll(WorkerHarness.processEnvironment());
        pb.environment().put("LAKEHOSE_BUFFER_SPOOL_DIR", Files.createDirectories(dir.resolve("spool")).toString());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(2)).build();
        long start = System.nanoTime();
        Process p = pb.start();
        long leased = 0;
        long consuming = 0;
        try {
            long deadline = start + TimeUnit.SECONDS.toNanos(120);
            while (consuming == 0 && System.nanoTime() < deadline && p.isAlive()) {
                if (leased == 0 && Files.readString(log).contains("lease taken")) {
                    leased = System.nanoTime();
                }
                if (received(http, metrics) > 0) {
                    consuming = System.nanoTime();
                    if (leased == 0 && Files.readString(log).contains("lease taken")) {
                        leased = consuming;
                    }
                }
                Thread.sleep(20);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertThat(consuming).as("the worker received a record; log:\n" + Files.readString(log)).isPositive();
        return new double[]{(leased - start) / 1e9, (consuming - start) / 1e9};
    }

    /** The worker's received-records counter, summed over its series; 0 while it is not serving yet. */
    private static double received(HttpClient http, HttpRequest metrics) {
        try {
            HttpResponse<String> r = http.send(metrics, HttpResponse.BodyHandlers.ofString());
            double sum = 0;
            for (String line : r.body().split("\n")) {
                if (line.startsWith(RECEIVED)) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (IOException e) {
            return 0; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
