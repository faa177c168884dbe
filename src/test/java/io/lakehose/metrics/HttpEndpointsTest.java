package io.lakehose.metrics;

import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.HttpConfig;
import io.lakehose.testing.Await;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * /health keeps answering while clients hold connections with half-sent requests: the ECS health
 * check fails a task after three answers that do not come within 5 s. Before, one such client
 * stalled the server's only thread for as long as it kept the connection.
 */
class HttpEndpointsTest {

    private static final byte[] HALF_REQUEST = "GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);

    private final List<Socket> held = new ArrayList<>();
    private HttpEndpoints endpoints;

    @BeforeEach
    void start() throws Exception {
        endpoints = new HttpEndpoints(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Optional::empty, Optional::empty);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : held) {
            s.close();
        }
        endpoints.close();
    }

    @Test
    void healthAnswersAtOnceWhileAFewClientsHoldHalfSentRequests() throws Exception {
        holdHalfOpen(HttpEndpoints.THREADS - 1);
        long start = System.nanoTime();
        assertThat(get("/health", Duration.ofSeconds(1))).isEqualTo("HTTP/1.1 200 OK");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("ms for /health with %d stalled clients", HttpEndpoints.THREADS - 1).isLessThan(1000);
    }

    @Test
    void manyStalledClientsAreCutOffAtTheDeadlineAndHealthAnswersWellWithinTheHealthChecksTimeout() throws Exception {
        holdHalfOpen(HttpEndpoints.THREADS * 10);
        long start = System.nanoTime();
        Await.until("/health answers while " + held.size() + " clients stall", Duration.ofSeconds(4),
                Duration.ofMillis(100), () -> "HTTP/1.1 200 OK".equals(tryGet("/health")));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("ms until /health answered").isLessThan(HttpEndpoints.DEADLINE.toMillis() + 1500);
        for (Socket s : held) {
            s.setSoTimeout(2000);
            assertThat(s.getInputStream().read()).as("a stalled connection is closed by the server").isEqualTo(-1);
        }
    }

    @Test
    void metricsAndReadyAnswerAndUnknownPathsAre404() throws Exception {
        assertThat(get("/metrics", Duration.ofSeconds(2))).isEqualTo("HTTP/1.1 200 OK");
        assertThat(get("/ready?x=1", Duration.ofSeconds(2))).isEqualTo("HTTP/1.1 200 OK");
        assertThat(get("/nope", Duration.ofSeconds(2))).isEqualTo("HTTP/1.1 404 Not Found");
    }

    @Test
    void theEndpointsListenOnLoopbackUnlessConfiguredAndTheAddressMustBeAnIpLiteral() throws Exception {
        HttpConfig defaults = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "/tmp/lake")).http();
        assertThat(defaults.endpoint().getAddress().isLoopbackAddress()).as(defaults.endpoint().toString()).isTrue();
        HttpConfig all = ConfigLoader.load(null, Map.of(HttpConfig.BIND_ADDRESS.envName(), "0.0.0.0"),
                Map.of("lake.uri", "/tmp/lake")).http();
        assertThat(all.endpoint().getAddress().isAnyLocalAddress()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "/tmp/lake",
                "http.bindAddress", "metrics.example.com")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http.bindAddress");
    }

    private void holdHalfOpen(int count) throws IOException {
        for (int i = 0; i < count; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), endpoints.port());
            held.add(s);
            s.getOutputStream().write(HALF_REQUEST);
            s.getOutputStream().flush();
        }
    }

    private String tryGet(String path) {
        try {
            return get(path, Duration.ofMillis(500));
        } catch (IOException e) {
            return e.toString(); // refused while busy, or no answer in time: try again
        }
    }

    /** The status line of a GET, or a SocketTimeoutException after {@code timeout}. */
    private String get(String path, Duration timeout) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), endpoints.port())) {
            s.setSoTimeout((int) timeout.toMillis());
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (status == null) {
                throw new SocketTimeoutException("closed without an answer");
            }
            return status;
        }
    }
}
