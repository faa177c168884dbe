package io.lakehose.commit;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Test-only: lets a process test stop a worker exactly at a named point of the commit protocol,
 * so that it hits a crash window every time instead of by chance:
 * <ul>
 *   <li>{@value #HALT_PROPERTY}: the process halts there the way kill -9 ends it
 *       ({@link Runtime#halt}: no shutdown hook, no flush, no checkpoint, no clean-up);</li>
 *   <li>{@value #FREEZE_PROPERTY}: the process freezes there ({@code kill -STOP} of itself: every
 *       thread stops, as in a long GC pause) until the test sends SIGCONT.</li>
 * </ul>
 * Each is armed only by its system property ({@code point}, or {@code point@n} for the n-th time
 * the point is reached), which production never sets; unarmed, {@link #reach} does nothing.
 * Before acting it prints one line to stderr (the worker's log): {@value #HALTING} or
 * {@value #FREEZING}, the point and the caller's detail (e.g. the files a killed attempt left).
 */
public final class CrashPoints {

    /** Test-only system property: halt at this point; see the class comment. */
    public static final String HALT_PROPERTY = "lakehose.test.haltAt";
    /** Test-only system property: freeze at this point; see the class comment. */
    public static final String FREEZE_PROPERTY = "lakehose.test.freezeAt";
    /** The line printed before halting, followed by the point's name. */
    public static final String HALTING = "halting at crash point ";
    /** The line printed before freezing, followed by the point's name. */
    public static final String FREEZING = "freezing at crash point ";
    /** The exit code, as after kill -9. */
    public static final int EXIT_CODE = 137;

    private static final Armed HALT = Armed.of(HALT_PROPERTY);
    private static final Armed FREEZE = Armed.of(FREEZE_PROPERTY);

    private CrashPoints() {
    }

    /** Halts or freezes the process here if a test armed {@code point} and this is its n-th time. */
    public static void reach(String point, Supplier<String> detail) {
        if (HALT.due(point)) {
            System.err.println(HALTING + point + " (" + HALT_PROPERTY + "): " + detail.get());
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_CODE);
        }
        if (FREEZE.due(point)) {
            System.err.println(FREEZING + point + " (" + FREEZE_PROPERTY + "): " + detail.get());
            System.err.flush();
            freeze();
        }
    }

    /** SIGSTOP to this process; returns once a SIGCONT woke it. */
    private static void freeze() {
        try {
            Process kill = new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start();
            kill.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("cannot freeze at a crash point", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One armed point: its name and the how-manieth time it acts. */
    private record Armed(String point, int at, AtomicInteger reached) {

        static Armed of(String property) {
            String armed = System.getProperty(property, "");
            int at = armed.lastIndexOf('@');
            return new Armed(at < 0 ? armed : armed.substring(0, at),
                    at < 0 ? 1 : Integer.parseInt(armed.substring(at + 1)), new AtomicInteger());
        }

        boolean due(String name) {
            return !point.isEmpty() && point.equals(name) && reached.incrementAndGet() == at;
        }
    }
}
