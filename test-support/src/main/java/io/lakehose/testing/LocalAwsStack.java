package io.lakehose.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three local AWS services lakehose talks to, started in parallel: Kinesis
 * ({@link KinesisLocal}, a Node child process), DynamoDB and DynamoDB Streams
 * ({@link DynamoDbLocal}, in-process) and S3 ({@link S3Emulator}, in-process). About 2 s on a
 * 2-core machine, bounded by Node's start.
 *
 * <pre>{@code
 * try (LocalAwsStack aws = LocalAwsStack.start()) {
 *     aws.kinesis().createStream("s", 2); aws.dynamoDb().client(); aws.s3().bucket(); ...
 * }
 * }</pre>
 *
 * <p>A JUnit test class of the service shares one for all its tests through
 * {@code io.lakehose.testing.LocalStackExtension} (service tests; this module has no JUnit):
 * {@code @RegisterExtension static final LocalStackExtension aws = new LocalStackExtension();}.
 *
 * <p>If any service fails to start, the ones that did start are stopped before the exception
 * propagates (DynamoDB Local's threads would otherwise keep the JVM alive). Every service uses
 * dummy credentials and us-east-1, and the clients each one hands out are configured for it.
 *
 * <p>Credentials for code under test: {@link S3Emulator#start()} sets the {@code aws.accessKeyId}
 * / {@code aws.secretAccessKey} system properties to its identity ({@code lakehose-test}), which
 * kinesis-local accepts (it only checks that requests are signed) but DynamoDB Local 2.x refuses
 * (access key ids must be letters and digits only). Code that builds its DynamoDB client from the
 * default chain must be given explicit credentials, e.g. {@link EmulatorAccess#credentials()}.
 */
public final class LocalAwsStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalAwsStack.class);

    private final KinesisLocal kinesis;
    private final DynamoDbLocal dynamoDb;
    private final S3Emulator s3;
    private final Duration startup;

    private LocalAwsStack(KinesisLocal kinesis, DynamoDbLocal dynamoDb, S3Emulator s3, Duration startup) {
        this.kinesis = kinesis;
        this.dynamoDb = dynamoDb;
        this.s3 = s3;
        this.startup = startup;
    }

    /** Starts all three services in parallel and logs how long that took. */
    public static LocalAwsStack start() {
        long t0 = System.nanoTime();
        ExecutorService starter = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "local-aws-start");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletableFuture<KinesisLocal> kinesis = timed("kinesis-local", KinesisLocal::start, starter);
            CompletableFuture<DynamoDbLocal> dynamoDb = timed("DynamoDB Local", DynamoDbLocal::start, starter);
            CompletableFuture<S3Emulator> s3 = timed("S3Proxy", S3Emulator::start, starter);
            try {
                CompletableFuture.allOf(kinesis, dynamoDb, s3).join();
            } catch (CompletionException e) {
                // Wait for the others too, so that everything started can be stopped.
                List<AutoCloseable> started = new ArrayList<>();
                for (CompletableFuture<? extends AutoCloseable> f : List.of(kinesis, dynamoDb, s3)) {
                    try {
                        started.add(f.join());
                    } catch (CompletionException ignored) {
                        // this one failed; its own start cleaned up after itself
                    }
                }
                RuntimeException failure = e.getCause() instanceof RuntimeException r ? r : e;
                closeAll(started, failure);
                throw failure;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            log.info("local AWS stack up in {} ms: kinesis {}, dynamodb {}, s3 {}", took.toMillis(),
                    kinesis.join().endpoint(), dynamoDb.join().endpoint(), s3.join().endpoint());
            return new LocalAwsStack(kinesis.join(), dynamoDb.join(), s3.join(), took);
        } finally {
            starter.shutdown();
        }
    }

    public KinesisLocal kinesis() {
        return kinesis;
    }

    public DynamoDbLocal dynamoDb() {
        return dynamoDb;
    }

    public S3Emulator s3() {
        return s3;
    }

    /** How long {@link #start()} took. */
    public Duration startup() {
        return startup;
    }

    /** Stops all three; an exception from one does not keep the others running. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable service : List.<AutoCloseable>of(kinesis, dynamoDb, s3)) {
            try {
                service.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("could not stop the local AWS stack cleanly", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static <T> CompletableFuture<T> timed(String name, Supplier<T> start, ExecutorService executor) {
        return CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            T service = start.get();
            log.info("{} started in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
            return service;
        }, executor);
    }

    private static void closeAll(List<AutoCloseable> services, RuntimeException primary) {
        for (AutoCloseable service : services) {
            try {
                service.close();
            } catch (Exception e) {
                primary.addSuppressed(e);
            }
        }
    }
}
