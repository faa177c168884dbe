package io.lakehose.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text), {@code /health} (alive and not wedged) and {@code /ready}
 * (holds a lease, or is idle and healthy) on one port, for Prometheus and the ECS health check.
 * Served by {@link SmallHttpServer}: a client that sends half a request cannot stall the
 * health check, and three tiny endpoints do not justify a web framework.
 */
public final class HttpEndpoints implements AutoCloseable {

    /** Connections served at once: a health check and a scrape, with room for a few stalled clients. */
    static final int THREADS = 4;
    /** One whole exchange; the ECS health check gives up after 5 s, a scrape of this registry takes milliseconds. */
    static final Duration DEADLINE = Duration.ofSeconds(2);

    private final SmallHttpServer server;

    /**
     * @param address where to listen (http.bindAddress and the port)
     * @param health  empty when healthy, else what is wrong (503 with that text)
     * @param ready   empty when ready, else why not
     */
    public HttpEndpoints(InetSocketAddress address, PrometheusMeterRegistry registry, Supplier<Optional<String>> health,
                         Supplier<Optional<String>> ready) throws IOException {
        server = new SmallHttpServer(address, Map.of(
                "/metrics", () -> new SmallHttpServer.Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()),
                "/health", () -> status(health.get()),
                "/ready", () -> status(ready.get())), THREADS, DEADLINE);
    }

    public InetSocketAddress address() {
        return server.address();
    }

    public int port() {
        return address().getPort();
    }

    private static SmallHttpServer.Response status(Optional<String> problem) {
        return new SmallHttpServer.Response(problem.isPresent() ? 503 : 200, "text/plain; charset=utf-8",
                problem.orElse("ok") + "\n");
    }

    @Override
    public void close() {
        server.close();
    }
}
