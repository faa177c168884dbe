package io.lakehose.testing;

import static io.lakehose.testing.Await.join;

import com.amazonaws.services.dynamodbv2.local.main.CommandLineInput;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.AbstractLocalDynamoDBServerHandler;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * DynamoDB Local (com.amazonaws:DynamoDBLocal 2.6, never in the production jar) in this JVM, in memory, on a free
 * port. It also serves DynamoDB Streams on the same endpoint.
 *
 * <pre>{@code
 * try (DynamoDbLocal ddb = DynamoDbLocal.start()) {
 *     ddb.client().createTable(...).join();            // shared, closed by close()
 *     DynamoDbAsyncClient mine = ddb.newAsyncClient();  // yours to close (e.g. for a KCL Scheduler)
 *     DynamoDbStreamsClient streams = ddb.newStreamsClient();
 * }
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>Start takes well under a second once the classes are loaded. The sqlite4java natives come
 *       from inside the DynamoDBLocal jar (2.x extracts them itself); no
 *       {@code sqlite4java.library.path} is needed.</li>
 *   <li>Started with {@code -sharedDb}: one database for every access key and region. Without it
 *       DynamoDB Local keeps a database per access key and region, so code under test that signs
 *       with other credentials (e.g. the default chain) would not see the test's tables.</li>
 *   <li>Access key ids may only contain letters and digits (DynamoDB Local 2.x checks): a client
 *       signing with e.g. {@code lakehose-test} gets HTTP 400 "The Access Key ID or security token
 *       is invalid". Mind this for code under test that uses the default credentials chain.</li>
 *   <li>Started with {@code -disableTelemetry}: otherwise it calls Cognito and Pinpoint on the
 *       internet at start and writes a metadata file under the home directory.</li>
 *   <li>Its Jetty threads are not daemons: if it is not stopped (test setup threw, {@link #close()}
 *       not reached), the JVM does not exit. Close it in a finally block or an after-all hook.</li>
 *   <li>Stream sequence numbers come from one counter for the whole database: a write to any
 *       table, the KCL lease table included, moves it. A shard iterator of an empty shard stays at
 *       the shard's first number, so the first record after such writes makes that iterator
 *       "trimmed" (TrimmedDataAccessException). Shard iterators expire 15 minutes after they were
 *       handed out (ExpiredIteratorException), and shards roll over every 4 hours.
 *       {@link #expireShardIterators(DynamoDbAsyncClient)} and
 *       {@link #rollOverStreamShards(DynamoDbAsyncClient)} do the last two now, through
 *       DynamoDB Local's test controls, which {@link #start()} turns on.</li>
 * </ul>
 */
public final class DynamoDbLocal implements AutoCloseable {

    private static final int START_ATTEMPTS = 3;
    /** DynamoDB Local's hidden test-control requests: a PutItem on this table name. */
    private static final String TEST_CONTROL_TABLE = "[TEST_CONTROL]";
    /**
     * The AWS SDK v1 inside DynamoDB Local warns through java.util.logging that JAXB is missing,
     * then works without it: nothing anyone can act on. Held here because JUL keeps loggers weakly.
     */
    private static final Logger SDK_V1_LOG = Logger.getLogger("com.amazonaws");

    static {
        SDK_V1_LOG.setLevel(Level.SEVERE);
    }

    private final DynamoDBProxyServer server;
    private final URI endpoint;
    private final DynamoDbAsyncClient client;

    private DynamoDbLocal(DynamoDBProxyServer server, URI endpoint) {
        this.server = server;
        this.endpoint = endpoint;
        this.client = newAsyncClient();
    }

    /** Starts DynamoDB Local on 127.0.0.1 and a free port. */
    public static DynamoDbLocal start() {
        Exception failure = null;
        // The free port is found by binding port 0 and releasing it; if another process takes it
        // before Jetty binds, try again with another one.
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = KinesisLocal.freePort();
            DynamoDBProxyServer server = null;
            try {
                server = createServer(port);
                server.start();
                return new DynamoDbLocal(server, URI.create("http://127.0.0.1:" + port));
            } catch (Exception e) {
                failure = e;
                stopQuietly(server, e);
                if (!causedByBind(e)) {
                    break;
                }
            }
        }
        throw new IllegalStateException("could not start DynamoDB Local", failure);
    }

    /**
     * What {@code ServerRunner.createServerFromCommandLineArgs} does, without printing its
     * configuration to stdout, and with the test controls on.
     */
    private static DynamoDBProxyServer createServer(int port) throws Exception {
        CommandLineInput input = new CommandLineInput(new String[] {
            "-inMemory", "-sharedDb", "-disableTelemetry", "-port", Integer.toString(port)});
        if (!input.init()) {
            throw new IllegalStateException("DynamoDB Local refused its command line");
        }
        DynamoDBProxyServer server = ServerRunner.createServer(input);
        enableTestControl(server);
        return server;
    }

    /**
     * DynamoDB Local has test controls (expire iterators, roll shards over) but no option to turn
     * them on: its request handler's flag is set here. A newer DynamoDB Local that renames a field
     * fails here at start, loudly, rather than in a test much later.
     */
    private static void enableTestControl(DynamoDBProxyServer server) throws ReflectiveOperationException {
        Object serverHandler = field(DynamoDBProxyServer.class, "serverHandler").get(server);
        Object requestHandler = field(AbstractLocalDynamoDBServerHandler.class, "primaryHandler").get(serverHandler);
        field(LocalDynamoDBRequestHandler.class, "isTestControlEnabled").setBoolean(requestHandler, true);
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field field = owner.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }

    /**
     * Expires every shard iterator handed out so far, as 15 minutes without a read would (DynamoDB
     * Local's DILATE_TIME control; it also moves stored event times back an hour, which nothing
     * here reads). Works on any DynamoDB Local this class started, in this process or another.
     */
    public static void expireShardIterators(DynamoDbAsyncClient client) {
        testControl(client, Map.of("ACTION", AttributeValue.fromS("DILATE_TIME"), "HOURS", AttributeValue.fromS("1")));
    }

    /** Closes every open stream shard and opens its child, as DynamoDB Local does every 4 hours. */
    public static void rollOverStreamShards(DynamoDbAsyncClient client) {
        testControl(client, Map.of("ACTION", AttributeValue.fromS("ROLLOVER")));
    }

    private static void testControl(DynamoDbAsyncClient client, Map<String, AttributeValue> action) {
        join(client.putItem(b -> b.tableName(TEST_CONTROL_TABLE).item(action)));
    }

    /** Base URI, e.g. {@code http://127.0.0.1:40123}, for DynamoDB and DynamoDB Streams clients. */
    public URI endpoint() {
        return endpoint;
    }

    /** A shared async client (Netty, dummy credentials, us-east-1). Do not close it. */
    public DynamoDbAsyncClient client() {
        return client;
    }

    /** A new async client with its own HTTP client; the caller closes it. */
    public DynamoDbAsyncClient newAsyncClient() {
        return EmulatorAccess.configure(DynamoDbAsyncClient.builder(), endpoint)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .protocol(Protocol.HTTP1_1)
                        .connectionTimeout(Duration.ofSeconds(2)))
                .build();
    }

    /**
     * A new synchronous DynamoDB Streams client (the SDK's default synchronous HTTP client);
     * the caller closes it.
     */
    public DynamoDbStreamsClient newStreamsClient() {
        return EmulatorAccess.configure(DynamoDbStreamsClient.builder(), endpoint).build();
    }


    @Override
    public void close() {
        try {
            client.close();
        } finally {
            stopQuietly(server, null);
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static void stopQuietly(DynamoDBProxyServer server, Exception primary) {
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } catch (Exception e) {
            if (primary != null) {
                primary.addSuppressed(e);
            }
        }
    }
}
