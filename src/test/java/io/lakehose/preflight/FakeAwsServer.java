package io.lakehose.preflight;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the hand-written AWS fakes ({@link FakeKms}, {@link FakeSts}) share: an HTTP server on
 * 127.0.0.1 at a free port whose every request goes to {@link #handle}, the calls it recorded, and
 * the answer written with its content type.
 *
 * @param <C> what the fake records of a call
 */
abstract class FakeAwsServer<C> implements AutoCloseable {

    private final HttpServer server;
    private final List<C> calls = new CopyOnWriteArrayList<>();

    FakeAwsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    }

    /** Starts answering requests; for the fake's {@code start} once it is built. */
    final void serve() {
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange);
            }
        });
        server.start();
    }

    /** Answers one request (the exchange is closed afterwards). */
    abstract void handle(HttpExchange exchange) throws IOException;

    final void received(C call) {
        calls.add(call);
    }

    final URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    final List<C> calls() {
        return List.copyOf(calls);
    }

    static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
