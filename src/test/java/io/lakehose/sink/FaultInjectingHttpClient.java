package io.lakehose.sink;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpResponseHandler;

/**
 * Sits between the SDK and its real HTTP client (below the SDK's retry layer) and records every
 * attempt. When its {@link FaultPlan} says so, it consumes the request body and answers the
 * attempt itself with a genuine S3 error response (503 SlowDown or 500 InternalError, XML body),
 * so the request never reaches the server. Faults are injected before the server, never after:
 * an "InternalError" returned after a CreateMultipartUpload really happened would leave an
 * upload nobody knows about, which is a real S3 hazard but not what these tests are about.
 */
final class FaultInjectingHttpClient implements SdkAsyncHttpClient {

    enum Fault {
        SLOW_DOWN(503, "Slow Down", "SlowDown", "Please reduce your request rate."),
        INTERNAL_ERROR(500, "Internal Server Error", "InternalError",
                "We encountered an internal error. Please try again.");

        final int status;
        final String statusText;
        final String code;
        final String message;

        Fault(int status, String statusText, String code, String message) {
            this.status = status;
            this.statusText = statusText;
            this.code = code;
            this.message = message;
        }
    }

    enum Operation {
        PUT_OBJECT, CREATE_MULTIPART_UPLOAD, UPLOAD_PART, COMPLETE_MULTIPART_UPLOAD,
        ABORT_MULTIPART_UPLOAD, OTHER;

        static Operation of(SdkHttpRequest request) {
            Map<String, List<String>> query = request.rawQueryParameters();
            SdkHttpMethod method = request.method();
            if (method == SdkHttpMethod.POST && query.containsKey("uploads")) {
                return CREATE_MULTIPART_UPLOAD;
            }
            if (method == SdkHttpMethod.POST && query.containsKey("uploadId")) {
                return COMPLETE_MULTIPART_UPLOAD;
            }
            if (method == SdkHttpMethod.DELETE && query.containsKey("uploadId")) {
                return ABORT_MULTIPART_UPLOAD;
            }
            if (method == SdkHttpMethod.PUT && query.containsKey("partNumber")) {
                return UPLOAD_PART;
            }
            if (method == SdkHttpMethod.PUT && query.isEmpty()) {
                return PUT_OBJECT;
            }
            return OTHER;
        }
    }

    /**
     * One attempt as the server would see it.
     *
     * @param invocation per-operation ordinal of the SDK call (all its retries share it), from 0
     * @param attempt    1 for the first attempt, 2 for the first retry, ...
     */
    record Attempt(Operation operation, int invocation, int attempt, SdkHttpRequest request) {
    }

    /** Decides for each attempt whether to answer it with a fault. */
    @FunctionalInterface
    interface FaultPlan {
        FaultPlan NONE = attempt -> Optional.empty();

        Optional<Fault> faultFor(Attempt attempt);
    }

    private static final Pattern ATTEMPT = Pattern.compile("attempt=(\\d+)");

    private final SdkAsyncHttpClient delegate;
    private final FaultPlan plan;
    private final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    private final Queue<Attempt> faulted = new ConcurrentLinkedQueue<>();
    private final Map<Fault, AtomicInteger> faultCounts = new ConcurrentHashMap<>();
    private final Map<String, Integer> invocations = new ConcurrentHashMap<>();
    private final Map<Operation, AtomicInteger> invocationCounters = new ConcurrentHashMap<>();
    private final Map<Operation, Duration> delays = new ConcurrentHashMap<>();

    FaultInjectingHttpClient(SdkAsyncHttpClient delegate, FaultPlan plan) {
        this.delegate = delegate;
        this.plan = plan;
    }

    /**
     * Holds every attempt of {@code operation} for {@code delay} before passing it on, e.g. to
     * make a store that does not wait for its AbortMultipartUpload visibly leave the upload behind.
     */
    FaultInjectingHttpClient delay(Operation operation, Duration delay) {
        delays.put(operation, delay);
        return this;
    }

    /** Every attempt seen, faulted or not. */
    List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /** Every attempt of {@code operation} seen, faulted or not. */
    List<Attempt> attempts(Operation operation) {
        return attempts.stream().filter(a -> a.operation() == operation).toList();
    }

    /** The attempts that were answered with a fault. */
    List<Attempt> faulted() {
        return List.copyOf(faulted);
    }

    /** How many attempts were answered with {@code fault}. */
    int faultCount(Fault fault) {
        AtomicInteger count = faultCounts.get(fault);
        return count == null ? 0 : count.get();
    }

    @Override
    public CompletableFuture<Void> execute(AsyncExecuteRequest request) {
        Attempt attempt = describe(request.request());
        attempts.add(attempt);
        Optional<Fault> fault = plan.faultFor(attempt);
        if (fault.isEmpty()) {
            Duration delay = delays.get(attempt.operation());
            if (delay == null) {
                return delegate.execute(request);
            }
            Executor later = CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS);
            return CompletableFuture.runAsync(() -> { }, later).thenCompose(ignored -> delegate.execute(request));
        }
        faulted.add(attempt);
        faultCounts.computeIfAbsent(fault.get(), f -> new AtomicInteger()).incrementAndGet();
        return answer(request, fault.get());
    }

    private Attempt describe(SdkHttpRequest request) {
        Operation operation = Operation.of(request);
        String invocationId = request.firstMatchingHeader("amz-sdk-invocation-id").orElse("");
        int invocation = invocations.computeIfAbsent(invocationId, id -> invocationCounters
                .computeIfAbsent(operation, o -> new AtomicInteger()).getAndIncrement());
        Matcher matcher = ATTEMPT.matcher(request.firstMatchingHeader("amz-sdk-request").orElse(""));
        int attempt = matcher.find() ? Integer.parseInt(matcher.group(1)) : 1;
        return new Attempt(operation, invocation, attempt, request);
    }

    /** Reads the whole request body (as a server would before failing), then answers the fault. */
    private static CompletableFuture<Void> answer(AsyncExecuteRequest request, Fault fault) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Publisher<ByteBuffer> body = request.requestContentPublisher();
        if (body == null) {
            respond(request.responseHandler(), fault, done);
            return done;
        }
        body.subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer ignored) {
            }

            @Override
            public void onError(Throwable error) {
                request.responseHandler().onError(error);
                done.completeExceptionally(error);
            }

            @Override
            public void onComplete() {
                respond(request.responseHandler(), fault, done);
            }
        });
        return done;
    }

    private static void respond(SdkAsyncHttpResponseHandler handler, Fault fault, CompletableFuture<Void> done) {
        byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + fault.code
                + "</Code><Message>" + fault.message + "</Message><RequestId>FAULT"
                + Integer.toHexString(System.identityHashCode(done))
                + "</RequestId><HostId>fault-injector</HostId></Error>").getBytes(StandardCharsets.UTF_8);
        handler.onHeaders(SdkHttpResponse.builder()
                .statusCode(fault.status)
                .statusText(fault.statusText)
                .putHeader("Content-Type", "application/xml")
                .putHeader("Content-Length", String.valueOf(xml.length))
                .build());
        handler.onStream(subscriber -> subscriber.onSubscribe(new Subscription() {
            private final AtomicBoolean finished = new AtomicBoolean();

            @Override
            public void request(long n) {
                if (finished.compareAndSet(false, true)) {
                    subscriber.onNext(ByteBuffer.wrap(xml));
                    subscriber.onComplete();
                    done.complete(null);
                }
            }

            @Override
            public void cancel() {
                finished.set(true);
                done.complete(null);
            }
        }));
    }

    @Override
    public String clientName() {
        return "FaultInjecting(" + delegate.clientName() + ")";
    }

    @Override
    public void close() {
        delegate.close();
    }
}
