package io.lakehose.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on 127.0.0.1 in front of a loopback port that can hold back what clients send: the
 * network stall of docs/design.md, "Delivery guarantee", for a request that reaches S3 late.
 *
 * <pre>{@code
 * try (HoldingTcpProxy proxy = HoldingTcpProxy.start(s3.endpoint().getPort())) {
 *     config.put("s3.endpoint", proxy.endpoint().toString());  // the client talks to the proxy
 *     proxy.hold();                  // client -> server bytes are kept here from now on
 *     proxy.heldRequestLines();      // e.g. ["PUT /bucket/key HTTP/1.1"]: requests stuck here
 *     proxy.release();               // what was kept goes on to the server, in order
 *     proxy.exchanges();             // e.g. [Exchange[requestLine=PUT /bucket/key HTTP/1.1, held=true, status=412]]
 * }
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>Only the client-to-server direction is held; responses keep flowing. The proxy follows
 *       the HTTP/1.1 requests on each connection (request head, then {@code Content-Length} bytes
 *       of body): a request already begun when {@link #hold()} is called goes through whole, and
 *       the next one is kept from its first byte. So the server never sees half a request: S3Proxy
 *       would list a PUT in progress under a temporary {@code <key>-<uuid>} name, which real S3
 *       never shows. A body without {@code Content-Length} (chunked transfer encoding) is not
 *       followed and may be held in its middle.</li>
 *   <li>A client that gives up and closes its connection while held still has its bytes
 *       delivered on {@link #release()} (then the server's side is half-closed), as a real network
 *       delivers packets already sent: that is how a stale request lands late.</li>
 *   <li>Held bytes live in memory; it is meant for the few small requests of a test.</li>
 *   <li>{@link #exchanges()} pairs each request with the status the server answered (e.g. 412 for
 *       a refused conditional write), whether the client still listened or not;
 *       {@link #statusCounts()} counts the statuses.</li>
 *   <li>One thread per direction and connection (daemon); {@link #close()} closes every socket.</li>
 * </ul>
 */
public final class HoldingTcpProxy implements AutoCloseable {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Pattern REQUEST_LINE = Pattern.compile("(?m)^(GET|PUT|POST|HEAD|DELETE) (\\S+) HTTP/1\\.1\\r?$");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private volatile boolean held;
    private volatile boolean closed;

    private HoldingTcpProxy(ServerSocket listener, int targetPort) {
        this.listener = listener;
        this.targetPort = targetPort;
    }

    /** Listens on 127.0.0.1 and a free port, forwarding to {@code 127.0.0.1:targetPort}. */
    public static HoldingTcpProxy start(int targetPort) {
        try {
            ServerSocket listener = new ServerSocket();
            listener.bind(new InetSocketAddress(LOOPBACK, 0));
            HoldingTcpProxy proxy = new HoldingTcpProxy(listener, targetPort);
            Thread acceptor = new Thread(proxy::acceptLoop, "holding-proxy-accept-" + listener.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the proxy", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://" + LOOPBACK.getHostAddress() + ":" + listener.getLocalPort());
    }

    /** From now on, bytes from clients are kept here instead of going on to the server. */
    public void hold() {
        held = true;
    }

    /** Sends everything held on, in order, and forwards as usual from then on. */
    public void release() {
        held = false;
        for (Connection c : connections) {
            c.flushHeld();
        }
    }

    public boolean isHeld() {
        return held;
    }

    /** Bytes held back now, over all connections. */
    public long heldBytes() {
        long n = 0;
        for (Connection c : connections) {
            n += c.heldBytes();
        }
        return n;
    }

    /** The request lines ("PUT /bucket/key HTTP/1.1") that begin inside the bytes held back now. */
    public List<String> heldRequestLines() {
        List<String> lines = new ArrayList<>();
        for (Connection c : connections) {
            Matcher m = REQUEST_LINE.matcher(c.heldText());
            while (m.find()) {
                lines.add(m.group().trim());
            }
        }
        return lines;
    }

    /** HTTP status to how many responses with it went from the server to clients so far. */
    public SortedMap<Integer, Long> statusCounts() {
        SortedMap<Integer, Long> counts = new TreeMap<>();
        statuses.forEach((status, n) -> counts.put(status, n.get()));
        return counts;
    }

    /**
     * Every request that got a final answer (status 200 or more) so far, in the order the answers
     * came: its request line, whether it had been held, and the status; status 0 for a request
     * whose connection closed before an answer came (or, held, before it could be delivered). An
     * answer the proxy cannot pair with a request (e.g. to a body the server read as a new
     * request) has the request line "?".
     */
    public List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    /** One request and its answer; {@code held}: it was kept by {@link #hold()} and sent on by {@link #release()}. */
    public record Exchange(String requestLine, boolean held, int status) {

        /** The request's method. */
        public String method() {
            return requestLine.split(" ", 2)[0];
        }
    }

    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Connection c : connections) {
            c.close();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            connectionsAccepted.incrementAndGet();
            Socket server = new Socket();
            try {
                server.connect(new InetSocketAddress(LOOPBACK, targetPort), 5_000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            Connection c = new Connection(client, server);
            connections.add(c);
            c.start();
        }
    }

    /** The Content-Length of a request head, 0 without one. */
    static long contentLength(String head) {
        Matcher m = CONTENT_LENGTH.matcher(head);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    private record Sent(String line, boolean held) {
    }

    /** One client connection and its connection to the server. */
    private final class Connection {

        private final Socket client;
        private final Socket server;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream(); // guarded by this
        private final ByteArrayOutputStream header = new ByteArrayOutputStream(); // guarded by this: request head so far
        private int lastFour; // guarded by this: the last four bytes of the request head so far
        private long bodyRemaining; // guarded by this: body bytes of the current request still to forward
        private boolean clientDone; // guarded by this: the client closed; half-close the server after flushing
        private boolean releasing; // guarded by this: accept() is sending on held bytes
        /** Requests sent to the server and not answered yet, oldest first. */
        private final Queue<Sent> sent = new ConcurrentLinkedQueue<>();
        private int directionsDone; // guarded by this

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void start() {
            int port = client.getPort();
            Thread up = new Thread(this::clientToServer, "holding-proxy-up-" + port);
            Thread down = new Thread(this::serverToClient, "holding-proxy-down-" + port);
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        private void clientToServer() {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = client.getInputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        accept(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the client reset its connection, or the server went away: what was read is kept
            }
            synchronized (this) {
                clientDone = true;
                if (!held) {
                    flushHeld();
                }
            }
            finished();
        }

        /**
         * Forwards client bytes, following the HTTP/1.1 requests in them: a request already begun
         * goes on to the end of its body; at a request boundary while held, the rest is kept.
         */
        private void accept(byte[] b, int off, int len) throws IOException { // guarded by this
            OutputStream out = server.getOutputStream();
            int i = off;
            int end = off + len;
            while (i < end) {
                if (pending.size() > 0 || (held && bodyRemaining == 0 && header.size() == 0)) {
                    pending.write(b, i, end - i);
                    return;
                }
                if (bodyRemaining > 0) {
                    int k = (int) Math.min(bodyRemaining, end - i);
                    out.write(b, i, k);
                    bodyRemaining -= k;
                    i += k;
                    continue;
                }
                int start = i;
                boolean complete = false;
                while (i < end && !complete) {
                    header.write(b[i]);
                    lastFour = (lastFour << 8) | (b[i++] & 0xff);
                    complete = lastFour == 0x0d0a0d0a; // CR LF CR LF: the end of the request head
                }
                out.write(b, start, i - start);
                if (complete) {
                    String head = header.toString(StandardCharsets.ISO_8859_1);
                    bodyRemaining = contentLength(head);
                    sent.add(new Sent(head.substring(0, Math.max(0, head.indexOf("\r\n"))), releasing));
                    header.reset();
                    lastFour = 0;
                }
            }
        }

        private void serverToClient() {
            byte[] buf = new byte[16 * 1024];
            String carry = "";
            try {
                InputStream in = server.getInputStream();
                OutputStream out = client.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    String text = carry + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    Matcher m = STATUS_LINE.matcher(text);
                    int end = 0;
                    while (m.find()) {
                        int status = Integer.parseInt(m.group(1));
                        statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                        if (status >= 200) {
                            Sent request = sent.poll();
                            exchanges.add(new Exchange(request == null ? "?" : request.line(), request != null && request.held(),
                                    status));
                        }
                        end = m.end();
                    }
                    // Keep a tail so that a status line cut between two reads is still found once.
                    carry = text.substring(Math.max(end, text.length() - 15));
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException e) {
                        // the client is gone: keep reading, so that the server's answer is still counted
                    }
                }
            } catch (IOException e) {
                // the server reset or closed the connection
            }
            try {
                client.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
            finished();
        }

        /** Writes what was held to the server (after {@link #release()}); half-closes it if the client is done. */
        synchronized void flushHeld() {
            byte[] held = pending.toByteArray();
            pending.reset();
            try {
                if (held.length > 0) {
                    releasing = true;
                    try {
                        accept(held, 0, held.length);
                    } finally {
                        releasing = false;
                    }
                }
                if (clientDone && !server.isOutputShutdown() && !server.isClosed()) {
                    server.shutdownOutput();
                }
            } catch (IOException e) {
                // The server closed this connection meanwhile (e.g. its idle timeout while held):
                // what was held is never delivered.
                Set<String> begun = new HashSet<>();
                sent.forEach(r -> begun.add(r.line()));
                Matcher m = REQUEST_LINE.matcher(new String(held, StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    if (!begun.contains(m.group().trim())) {
                        exchanges.add(new Exchange(m.group().trim(), true, 0));
                    }
                }
            }
        }

        synchronized long heldBytes() {
            return pending.size();
        }

        synchronized String heldText() {
            return pending.toString(StandardCharsets.ISO_8859_1);
        }

        private void finished() {
            boolean both;
            synchronized (this) {
                both = ++directionsDone == 2;
            }
            if (both) {
                close();
            }
        }

        void close() {
            closeQuietly(client);
            closeQuietly(server);
            if (connections.remove(this)) {
                for (Sent r; (r = sent.poll()) != null; ) {
                    exchanges.add(new Exchange(r.line(), r.held(), 0)); // closed before an answer came
                }
            }
        }
    }
}
