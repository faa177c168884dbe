package io.lakehose.testing;

import java.net.URI;
import java.time.Duration;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An in-process S3 (S3Proxy 4.1, transient in-memory store) on 127.0.0.1 and a free port, with
 * one empty bucket. Start it per test class and close it afterwards:
 *
 * <pre>{@code
 * static S3Emulator s3;
 * @BeforeAll static void start() { s3 = S3Emulator.start(); }
 * @AfterAll static void stop() { s3.close(); }
 * ... new S3ObjectStore(S3EmulatorExtension.settingsFor(s3, Optional.of(new KmsKeyId("arn:aws:kms:..."))))  // the service's tests
 * ... s3.client().headObject(b -> b.bucket(s3.bucket()).key(key))
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>Requests must be SigV2/SigV4-signed with the emulator's dummy identity. {@link #start()}
 *       sets the system properties {@code aws.accessKeyId}/{@code aws.secretAccessKey} to it, so
 *       code under test that uses the SDK's default credentials chain signs with it (system
 *       properties come before the environment in that chain). The values are test-only dummies.</li>
 *   <li>SSE-KMS headers are stored and returned exactly as sent (full key ARN); nothing is
 *       validated and no bucket default encryption is applied.</li>
 *   <li>Unknown request headers are refused with 501 NotImplemented, as a strict S3-compatible
 *       store would (the SDK's own multipart client trips on this; see S3MultipartUpload).</li>
 *   <li>Everything lives in memory and is gone after {@link #close()}.</li>
 * </ul>
 */
public final class S3Emulator implements AutoCloseable {

    private static final String BUCKET = "lakehose-test";
    /** S3Proxy starts in about 50 ms; a machine under load gets far more. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;

    private S3Emulator(S3Proxy proxy, URI endpoint, S3Client client) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.client = client;
    }

    /** Starts the emulator (about 50 ms) and creates {@link #bucket()}. */
    public static S3Emulator start() {
        EmulatorAccess.installAsDefaultCredentials();
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("transient", new Properties()))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY)
                .build();
        S3Client client = null;
        try {
            proxy.start();
            Await.until("S3Proxy started", START_TIMEOUT, Duration.ofMillis(5), () -> {
                if ("FAILED".equals(proxy.getState())) {
                    throw new IllegalStateException("S3Proxy failed to start");
                }
                return "STARTED".equals(proxy.getState());
            });
            URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
            client = EmulatorAccess.configure(S3Client.builder(), endpoint).forcePathStyle(true).build();
            client.createBucket(b -> b.bucket(BUCKET));
            return new S3Emulator(proxy, endpoint, client);
        } catch (Exception | AssertionError e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // Jetty's threads would otherwise keep the JVM alive.
            if (client != null) {
                client.close();
            }
            stopQuietly(proxy, e);
            throw new IllegalStateException("could not start the S3 emulator", e);
        }
    }

    /** Base URI of the emulator, e.g. {@code http://127.0.0.1:40123}; needs path-style access. */
    public URI endpoint() {
        return endpoint;
    }

    /** The bucket created at start. */
    public String bucket() {
        return BUCKET;
    }

    /** A synchronous client for assertions (path-style, dummy credentials, us-east-1). Do not close it. */
    public S3Client client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
        stopQuietly(proxy, null);
    }

    private static void stopQuietly(S3Proxy proxy, Throwable primary) {
        try {
            proxy.stop();
        } catch (Exception e) {
            if (primary != null) {
                primary.addSuppressed(e);
            }
        }
    }
}
