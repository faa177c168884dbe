package io.lakehose.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Blocking helpers for tests and the emulator harness: SDK futures with a bound, and waits on a
 * condition (polled, with a timeout) instead of sleeps that guess how long something takes.
 */
public final class Await {

    /** Pause between two checks of a condition unless the caller names another (cheap checks). */
    public static final Duration POLL = Duration.ofMillis(20);

    private Await() {
    }

    /** A check that may throw; an exception other than an {@link AssertionError} ends the wait. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** A read that may throw, for {@link #until(String, Duration, Duration, Probe, Predicate)}. */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** The future's value within 30 s; the SDK's own exception is rethrown unwrapped. */
    public static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer within 30 s", e);
        }
    }

    /**
     * Returns as soon as {@code condition} holds, checking it every {@link #POLL}; fails with an
     * {@link AssertionError} naming {@code what} if it still does not hold after {@code timeout}.
     */
    public static void until(String what, Duration timeout, Condition condition) {
        until(what, timeout, POLL, condition);
    }

    /** {@link #until(String, Duration, Condition)}, checking every {@code every} (for costly checks). */
    public static void until(String what, Duration timeout, Duration every, Condition condition) {
        until(() -> what, timeout, every, condition);
    }

    /** As above, with a failure message built at the timeout (to show the state then). */
    public static void until(Supplier<String> what, Duration timeout, Duration every, Condition condition) {
        until(what, timeout, every, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Reads {@code probe} every {@code every} until {@code accept} takes its value, and returns that
     * value; fails after {@code timeout} naming {@code what} and the last value read.
     */
    public static <T> T until(String what, Duration timeout, Duration every, Probe<T> probe, Predicate<T> accept) {
        Object[] last = {"nothing read"};
        return until(() -> what + " (last: " + last[0] + ")", timeout, every, () -> {
            T value = probe.get();
            last[0] = value;
            return accept.test(value) ? Optional.of(value) : Optional.empty();
        });
    }

    private static <T> T until(Supplier<String> what, Duration timeout, Duration every, Probe<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value;
            try {
                value = probe.get();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (Exception e) {
                throw new IllegalStateException("waiting for " + what.get() + ": " + e, e);
            }
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what.get());
            }
            sleep(Math.min(every.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    /**
     * True when {@code thread} is parked (waiting on a lock, a semaphore, a condition) inside a
     * method of {@code type}: a caller that must block has reached the point where it blocks.
     */
    public static boolean isBlockedIn(Thread thread, Class<?> type) {
        Thread.State state = thread.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING && state != Thread.State.BLOCKED) {
            return false;
        }
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getClassName().equals(type.getName())) {
                return true;
            }
        }
        return false;
    }

    /** Sleeps, keeping the interrupt; for the harness's own pacing (retry backoff), not to wait for things. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
