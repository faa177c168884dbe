package io.lakehose.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A minimal HTTP/1.1 server for a few GET endpoints that must answer while clients misbehave.
 *
 * <p>Why not the JDK's {@code HttpServer}: it reads a request's head on the thread that runs the
 * exchange and has no timeout for it (its {@code sun.net.httpserver.maxReqTime} only starts once
 * the head is read). One client that sends half a request and waits held its only thread, and
 * {@code /health} stopped answering; with a pool, as many such clients as threads do the same
 * forever. Here every connection has a deadline for the whole exchange (read the head, answer):
 * past it the socket is closed, which also frees a thread blocked writing to a client that does
 * not read. A few threads serve connections; when they and a short queue are busy, a new
 * connection is closed at once rather than left waiting. One exchange per connection
 * ({@code Connection: close}): health checks and scrapes open one per request anyway.
 */
final class SmallHttpServer implements AutoCloseable {

    /** A response body and its content type. */
    record Response(int status, String contentType, String body) {
    }

    private static final int MAX_HEAD_BYTES = 8 * 1024;

    private final ServerSocket socket;
    private final Map<String, Supplier<Response>> routes;
    private final Duration deadline;
    private final ThreadPoolExecutor workers;
    private final ScheduledThreadPoolExecutor closer;
    private final Thread acceptor;

    /**
     * @param routes   path -> response, for GET and HEAD
     * @param threads  connections served at once
     * @param deadline for one whole exchange, from accept to the last byte written
     */
    SmallHttpServer(InetSocketAddress address, Map<String, Supplier<Response>> routes, int threads, Duration deadline)
            throws IOException {
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(address, 50);
        this.routes = Map.copyOf(routes);
        this.deadline = deadline;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(threads * 4), r -> daemon(r, "lakehose-http-" + n.incrementAndGet()));
        this.closer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "lakehose-http-deadline"));
        closer.setRemoveOnCancelPolicy(true);
        this.acceptor = daemon(this::acceptLoop, "lakehose-http-accept");
        acceptor.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                continue; // closed (the loop ends), or one failed accept
            }
            ScheduledFuture<?> expiry = closer.schedule(() -> closeQuietly(client), deadline.toMillis(), TimeUnit.MILLISECONDS);
            try {
                workers.execute(() -> {
                    try {
                        serve(client);
                    } finally {
                        expiry.cancel(false);
                        closeQuietly(client);
                    }
                });
            } catch (RejectedExecutionException busy) {
                expiry.cancel(false);
                closeQuietly(client);
            }
        }
    }

    private void serve(Socket client) {
        try {
            client.setSoTimeout((int) deadline.toMillis());
            String[] requestLine = readHead(client.getInputStream()).split(" ", 3);
            OutputStream out = client.getOutputStream();
            if (requestLine.length < 3) {
                write(out, new Response(400, "text/plain; charset=utf-8", "bad request\n"), true);
                return;
            }
            boolean head = requestLine[0].equals("HEAD");
            if (!head && !requestLine[0].equals("GET")) {
                write(out, new Response(405, "text/plain; charset=utf-8", "GET only\n"), true);
                return;
            }
            String path = requestLine[1].split("\\?", 2)[0];
            Supplier<Response> route = routes.get(path);
            write(out, route == null ? new Response(404, "text/plain; charset=utf-8", "not found\n") : route.get(), !head);
        } catch (IOException | RuntimeException e) {
            // the client went away, was too slow (closed at the deadline), or a route failed: nothing to answer
        }
    }

    /** The request line; the rest of the head (headers, up to the blank line) is read and ignored. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        while (head.size() < MAX_HEAD_BYTES) {
            int b = in.read();
            if (b < 0) {
                throw new SocketException("connection closed in the request head");
            }
            head.write(b);
            if (b == '\n' && endsWithBlankLine(head)) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.indexOf('\n')).strip();
            }
        }
        throw new SocketException("request head longer than " + MAX_HEAD_BYTES + " bytes");
    }

    /** The head ends with an empty line: CRLF CRLF, or LF LF from lenient clients. */
    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        byte[] b = head.toByteArray();
        int n = b.length;
        return (n >= 2 && b[n - 2] == '\n') || (n >= 3 && b[n - 2] == '\r' && b[n - 3] == '\n');
    }

    private static void write(OutputStream out, Response r, boolean withBody) throws IOException {
        byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + r.status() + " " + reason(r.status()) + "\r\n"
                + "Content-Type: " + r.contentType() + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        if (withBody) {
            out.write(body);
        }
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        workers.shutdownNow();
        closer.shutdownNow();
    }
}
