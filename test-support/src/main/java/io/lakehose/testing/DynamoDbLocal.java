package io.lakehose.testing;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
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
 * </ul>
 */
public final class DynamoDbLocal implements AutoCloseable {

    private static final int START_ATTEMPTS = 3;

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
                server = ServerRunner.createServerFromCommandLineArgs(new String[] {
                    "-inMemory", "-sharedDb", "-disableTelemetry", "-port", Integer.toString(port)});
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
