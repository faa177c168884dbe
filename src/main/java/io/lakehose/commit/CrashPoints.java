package io.lakehose.commit;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Test-only: lets a process test stop a worker exactly at a named point of the commit protocol,
 * the way kill -9 would ({@link Runtime#halt}: no shutdown hook, no flush, no checkpoint, no
 * clean-up), so that it hits a crash window every time instead of by chance.
 *
 * <p>Armed only by the system property {@value #PROPERTY} ({@code point}, or {@code point@n} for
 * the n-th time the point is reached), which production never sets; unarmed, {@link #reach} does
 * nothing. Before halting it prints one line to stderr (the worker's log) with the point and the
 * caller's detail, e.g. the data files a killed attempt left behind.
 */
public final class CrashPoints {

    /** The test-only system property; see the class comment. */
    public static final String PROPERTY = "lakehose.test.haltAt";
    /** The line printed before halting, followed by the point's name. */
    public static final String HALTING = "halting at crash point ";
    /** The exit code, as after kill -9. */
    public static final int EXIT_CODE = 137;

    private static final String POINT;
    private static final int AT;
    private static final AtomicInteger REACHED = new AtomicInteger();

    static {
        String armed = System.getProperty(PROPERTY, "");
        int at = armed.lastIndexOf('@');
        POINT = at < 0 ? armed : armed.substring(0, at);
        AT = at < 0 ? 1 : Integer.parseInt(armed.substring(at + 1));
    }

    private CrashPoints() {
    }

    /** Halts the process here if the test armed {@code point} and this is its n-th time. */
    public static void reach(String point, Supplier<String> detail) {
        if (POINT.isEmpty() || !POINT.equals(point) || REACHED.incrementAndGet() != AT) {
            return;
        }
        System.err.println(HALTING + point + " (" + PROPERTY + "): " + detail.get());
        System.err.flush();
        Runtime.getRuntime().halt(EXIT_CODE);
    }
}
