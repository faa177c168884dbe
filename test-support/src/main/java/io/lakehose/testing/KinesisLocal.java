package io.lakehose.testing;

import static io.lakehose.testing.Await.join;
import static io.lakehose.testing.Await.sleep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * A local Kinesis: the npm package {@code kinesis-local} (kinesis-mock, the emulator LocalStack
 * uses) run by Node as a child process on a free loopback port. It lives in {@code local/}
 * ({@code npm ci --prefix local} installs it) because it is not on Maven Central.
 *
 * <pre>{@code
 * try (KinesisLocal kinesis = KinesisLocal.start()) {
 *     kinesis.createStream("orders", 2);                 // returns once ACTIVE (~50 ms)
 *     kinesis.putRecords("orders", List.of(bytes, ...)); // PutRecords, failed entries retried
 *     KinesisAsyncClient client = kinesis.client();      // shared, closed by close()
 *     KinesisAsyncClient mine = kinesis.newClient();     // yours to close (e.g. for a KCL Scheduler)
 *     KinesisClient sync = kinesis.newSyncClient();      // yours to close
 * }
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>Start takes about 1.5-2 s (Node loads an 8 MB Scala.js bundle), then {@code GET
 *       /healthcheck} answers 200. Each instance is a separate process with its own ports and
 *       streams; nothing is persisted.</li>
 *   <li>Requests must be signed (any credentials): unsigned requests are refused. A 12-digit
 *       access key id would select that AWS account; {@link EmulatorAccess#ACCESS_KEY} is not one, so every
 *       stream lives in the default account {@code 000000000000}, region us-east-1.</li>
 *   <li>The stream-state transitions (create, delete, split, merge, update shard count) take
 *       {@link #TRANSITION} here instead of kinesis-mock's 500 ms default.</li>
 *   <li>Kinesis-mock slows down as shards fill (PutRecords went from about 1,500 to 300
 *       records/s past about 7,000 records per shard): keep test volumes to a few thousand
 *       records per shard, or use more shards.</li>
 *   <li>Only the plain HTTP port is used (HTTP/1.1, CBOR as the SDK defaults to); the TLS port
 *       gets a free port too, because kinesis-mock always opens it.</li>
 *   <li>Node's output goes to a temporary log file, quoted in the exception when start fails.
 *       {@code KINESIS_LOCAL_LOG_LEVEL} (environment) overrides the log level (default WARN).</li>
 *   <li>Always close it: a shutdown hook kills the process and deletes its log too, but only on
 *       an orderly JVM exit. Node exits by itself when this JVM is gone however it ended (its
 *       stdin, a pipe from here, closes).</li>
 *   <li>Node ignores SIGINT: Ctrl-C at a terminal reaches every process of the foreground group,
 *       and a worker stopping gracefully in this JVM still needs Kinesis until it is done;
 *       {@link #close()} stops Node after that.</li>
 * </ul>
 */
public final class KinesisLocal implements AutoCloseable {

    /** How long kinesis-mock keeps a stream CREATING/UPDATING/DELETING. */
    public static final Duration TRANSITION = Duration.ofMillis(20);

    private static final String PACKAGE_DIR = "local/node_modules/kinesis-local";
    private static final String INSTALL_HINT = "run: npm ci --prefix local";
    /**
     * Runs main.js (as {@code node main.js} would: it is process.argv[1]) as a child of this JVM:
     * SIGINT does nothing (kinesis-mock's runtime would exit on it, so its own SIGINT listener is
     * not let in), and Node exits when stdin, a pipe from this JVM, closes.
     */
    private static final String CHILD_OF_THIS_JVM = """
            process.on('SIGINT', () => {});
            const on = process.on;
            process.on = function (event, listener) { return event === 'SIGINT' ? this : on.call(this, event, listener); };
            process.stdin.on('end', () => process.exit(0)).resume();
            require(process.argv[1]);
            """;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ACTIVE_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    /** Polls of the state of a stream (cheap, and a stream turns ACTIVE after {@link #TRANSITION}). */
    private static final Duration ACTIVE_POLL = Duration.ofMillis(10);
    /** Polls of the health check while Node starts (it must answer within {@link #START_TIMEOUT}). */
    private static final long HEALTH_POLL_MILLIS = 25;
    /** Backoff before putting the records the emulator failed again, times the attempt: retrying is the point. */
    private static final long RETRY_BACKOFF_MILLIS = 50;
    /** How long a PutRecords may wait for its answer on a loaded machine. */
    private static final Duration PUT_ANSWER_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final Thread killOnExit;
    private final Path log;
    private final URI endpoint;
    private final KinesisAsyncClient client;
    /**
     * Puts records without the SDK's own retries: a PutRecords whose answer is late (a loaded
     * machine) was sent again whole, and the records of the first call were in the stream too,
     * unknown to the test (seen: 1,000 rows more than records put). Only entries the emulator
     * answered as failed, never stored, are put again; a call without an answer fails the test.
     */
    private final KinesisAsyncClient producer;

    private KinesisLocal(Process process, Thread killOnExit, Path log, URI endpoint) {
        this.process = process;
        this.killOnExit = killOnExit;
        this.log = log;
        this.endpoint = endpoint;
        this.client = newClient();
        this.producer = EmulatorAccess.configure(KinesisAsyncClient.builder(), endpoint)
                .httpClientBuilder(httpClientBuilder().readTimeout(PUT_ANSWER_TIMEOUT))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    /**
     * Starts kinesis-local and waits for its health check.
     *
     * @throws IllegalStateException if Node or the npm package is missing (the message says how
     *     to install it), or if the emulator does not come up within 30 s
     */
    public static KinesisLocal start() {
        Path root = repositoryRoot();
        Path packageDir = root.resolve(PACKAGE_DIR);
        Path main = packageDir.resolve("main.js");
        Path cert = packageDir.resolve("server.json");
        if (!Files.isRegularFile(main) || !Files.isRegularFile(cert)) {
            throw new IllegalStateException("kinesis-local is not installed (no " + main + "); " + INSTALL_HINT);
        }
        IllegalStateException failure = null;
        // Free ports are found by binding port 0 and releasing it, so another process can take one
        // before Node binds it; a fresh pair of ports on the next attempt handles that race.
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(main, cert);
            } catch (PortRaceException e) {
                failure = e;
            }
        }
        throw failure;
    }

    private static KinesisLocal startOnce(Path main, Path cert) {
        int plainPort = freePort();
        int tlsPort = freePort();
        Path log;
        try {
            log = Files.createTempFile("kinesis-local-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder pb = new ProcessBuilder(nodeExecutable(), "-e", CHILD_OF_THIS_JVM, main.toString())
                .directory(main.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(plainPort));
        env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(tlsPort));
        // Without this it looks for server.json in the working directory and dies.
        env.put("KINESIS_MOCK_CERT_PATH", cert.toString());
        String transition = TRANSITION.toMillis() + "ms";
        for (String op : List.of("CREATE_STREAM", "DELETE_STREAM", "MERGE_SHARDS", "SPLIT_SHARD",
                "UPDATE_SHARD_COUNT", "UPDATE_STREAM_MODE", "REGISTER_STREAM_CONSUMER",
                "DEREGISTER_STREAM_CONSUMER", "START_STREAM_ENCRYPTION", "STOP_STREAM_ENCRYPTION")) {
            env.put(op + "_DURATION", transition);
        }
        env.put("SHARD_LIMIT", "1000");
        env.put("AWS_REGION", EmulatorAccess.REGION);
        env.put("SHOULD_PERSIST_DATA", "false");
        env.put("LOAD_DATA_IF_EXISTS", "false");
        env.put("LOG_LEVEL", System.getenv().getOrDefault("KINESIS_LOCAL_LOG_LEVEL", "WARN"));
        env.put("ROOT_LOG_LEVEL", "ERROR");
        env.remove("INITIALIZE_STREAMS");

        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            deleteQuietly(log);
            throw new IllegalStateException("cannot run Node (" + nodeExecutable() + ") for kinesis-local: "
                    + e.getMessage() + "; install Node 20 and " + INSTALL_HINT, e);
        }
        // Also on an exit without close() (a test run stopped midway): no process, no log left behind.
        Thread killOnExit = new Thread(() -> {
            kill(process);
            deleteQuietly(log);
        }, "kinesis-local-kill");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        URI endpoint = URI.create("http://127.0.0.1:" + plainPort);
        try {
            awaitHealthy(process, endpoint, log);
            return new KinesisLocal(process, killOnExit, log, endpoint);
        } catch (RuntimeException e) {
            kill(process);
            removeHook(killOnExit);
            deleteQuietly(log); // its tail is in the exception's message
            throw e;
        }
    }

    /** Base URI of the plain-HTTP port, e.g. {@code http://127.0.0.1:40123}. */
    public URI endpoint() {
        return endpoint;
    }

    /** A shared client for this emulator (Netty, HTTP/1.1, dummy credentials, us-east-1). Do not close it. */
    public KinesisAsyncClient client() {
        return client;
    }

    /**
     * A new client with its own HTTP client, configured like {@link #client()}; the caller closes
     * it (closing the SDK client closes its HTTP client too).
     */
    public KinesisAsyncClient newClient() {
        return EmulatorAccess.configure(KinesisAsyncClient.builder(), endpoint)
                .httpClientBuilder(httpClientBuilder())
                .build();
    }

    /**
     * A new synchronous client (the SDK's default synchronous HTTP client), configured like
     * {@link #client()}; the caller closes it.
     */
    public KinesisClient newSyncClient() {
        return EmulatorAccess.configure(KinesisClient.builder(), endpoint).build();
    }


    /**
     * Creates a provisioned stream and returns once it is ACTIVE. Polls DescribeStreamSummary
     * every 10 ms: the SDK's {@code waitUntilStreamExists} waiter polls every 10 s.
     */
    public void createStream(String name, int shards) {
        join(client.createStream(b -> b.streamName(name).shardCount(shards)));
        awaitActive(name);
    }

    /** Waits (polling every 10 ms, at most 30 s) until the stream's status is ACTIVE. */
    public void awaitActive(String name) {
        Await.until("stream " + name + " ACTIVE", ACTIVE_TIMEOUT, ACTIVE_POLL,
                () -> join(client.describeStreamSummary(b -> b.streamName(name))).streamDescriptionSummary().streamStatus(),
                status -> status == StreamStatus.ACTIVE);
    }

    /**
     * Puts the records with PutRecords (batches of 500, partition key = the record's index as a
     * decimal string, so records spread over the shards) and retries entries the emulator
     * failed. Returns one result per record, in order, each with its shard id and sequence number.
     */
    public List<PutRecordsResultEntry> putRecords(String stream, List<byte[]> records) {
        List<PutRecordsResultEntry> results = new ArrayList<>(records.size());
        for (int from = 0; from < records.size(); from += 500) {
            int to = Math.min(records.size(), from + 500);
            List<PutRecordsRequestEntry> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                batch.add(PutRecordsRequestEntry.builder()
                        .partitionKey(Integer.toString(i))
                        .data(SdkBytes.fromByteArray(records.get(i)))
                        .build());
            }
            results.addAll(putWithRetries(stream, batch));
        }
        return results;
    }

    private List<PutRecordsResultEntry> putWithRetries(String stream, List<PutRecordsRequestEntry> batch) {
        PutRecordsResultEntry[] out = new PutRecordsResultEntry[batch.size()];
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            pending.add(i);
        }
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            List<PutRecordsRequestEntry> entries = pending.stream().map(batch::get).toList();
            PutRecordsResponse response = join(producer.putRecords(b -> b.streamName(stream).records(entries)));
            List<Integer> failed = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                PutRecordsResultEntry entry = response.records().get(i);
                if (entry.errorCode() == null) {
                    out[pending.get(i)] = entry;
                } else {
                    failed.add(pending.get(i));
                }
            }
            if (!failed.isEmpty() && attempt >= 10) {
                throw new IllegalStateException(failed.size() + " records still failing after " + attempt + " attempts");
            }
            pending = failed;
            if (!pending.isEmpty()) {
                sleep(RETRY_BACKOFF_MILLIS * attempt);
            }
        }
        return List.of(out);
    }

    /** Stops the emulator: closes the shared client, then kills Node and anything it started. */
    @Override
    public void close() {
        try {
            producer.close();
            client.close();
        } finally {
            kill(process);
            removeHook(killOnExit);
            deleteQuietly(log);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file; nothing depends on it
        }
    }

    private static NettyNioAsyncHttpClient.Builder httpClientBuilder() {
        return NettyNioAsyncHttpClient.builder()
                .protocol(Protocol.HTTP1_1)
                .connectionTimeout(Duration.ofSeconds(2));
    }

    private static void awaitHealthy(Process process, URI endpoint, Path log) {
        URI health = endpoint.resolve("/healthcheck");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            // A lost port race: Node may exit, or (for its second port) keep running without
            // ever answering; either way the log says so, and a fresh pair of ports is tried.
            if (!process.isAlive() || tail(log).contains("EADDRINUSE")) {
                String output = tail(log);
                if (output.contains("EADDRINUSE")) {
                    throw new PortRaceException("kinesis-local lost a port race:\n" + output);
                }
                throw new IllegalStateException("kinesis-local exited with status " + process.exitValue()
                        + " before answering its health check; output:\n" + output);
            }
            if (healthy(health)) {
                return;
            }
            // Not Await.until: a timeout must be an IllegalStateException, which startOnce cleans up after.
            sleep(HEALTH_POLL_MILLIS);
        }
        throw new IllegalStateException("kinesis-local did not answer " + health + " within " + START_TIMEOUT
                + "; output:\n" + tail(log));
    }

    private static boolean healthy(URI health) {
        try {
            HttpURLConnection connection = (HttpURLConnection) health.toURL().openConnection();
            connection.setConnectTimeout(200);
            connection.setReadTimeout(1000);
            try {
                return connection.getResponseCode() == 200;
            } finally {
                connection.disconnect();
            }
        } catch (IOException notYet) {
            return false;
        }
    }

    private static void kill(Process process) {
        // Node's main.js starts no children today; kill descendants anyway, first, so none is orphaned.
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : all) {
            try {
                handle.onExit().get(2, TimeUnit.SECONDS);
            } catch (Exception stillRunning) {
                handle.destroyForcibly();
            }
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to; nothing to remove
        }
    }

    /**
     * The checkout's root: the nearest directory, from the working directory up, that holds both
     * pom.xml and local/ (Surefire runs in the module directory, an IDE may run elsewhere below it).
     */
    static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("local"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no directory with pom.xml and local/ at or above " + start
                + "; run the tests from the lakehose checkout");
    }

    private static String nodeExecutable() {
        String node = System.getenv("LAKEHOSE_NODE");
        return node == null || node.isBlank() ? "node" : node;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static final class PortRaceException extends IllegalStateException {
        PortRaceException(String message) {
            super(message);
        }
    }
}
