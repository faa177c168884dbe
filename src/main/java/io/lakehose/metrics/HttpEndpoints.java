package io.lakehose.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text), {@code /health} (alive and not wedged) and {@code /ready}
 * (holds a lease, or is idle and healthy) on one port, for Prometheus and the ECS health check.
 * The JDK's own HTTP server: three tiny endpoints do not justify a web framework.
 */
public final class HttpEndpoints implements AutoCloseable {

    private final HttpServer server;

    /**
     * @param health empty when healthy, else what is wrong (503 with that text)
     * @param ready  empty when ready, else why not
     */
    public HttpEndpoints(int port, PrometheusMeterRegistry registry, Supplier<Optional<String>> health,
                         Supplier<Optional<String>> ready) throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/health", ex -> status(ex, health.get()));
        server.createContext("/ready", ex -> status(ex, ready.get()));
        server.setExecutor(null);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void status(HttpExchange ex, Optional<String> problem) throws IOException {
        respond(ex, problem.isPresent() ? 503 : 200, "text/plain; charset=utf-8", problem.orElse("ok") + "\n");
    }

    private static void respond(HttpExchange ex, int code, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
