package io.lakehose.testing;

import io.lakehose.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;

/** One in-process run of a lakehose command line, with its exit code and captured stdout and stderr. */
public final class CommandRun {

    public final int exit;
    public final String out;
    public final String err;

    private CommandRun(int exit, String out, String err) {
        this.exit = exit;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs {@code Main.execute(args)}; what the command's thread, and threads it starts, write to
     * System.out and System.err meanwhile is captured. Other threads' output passes by: a worker
     * an earlier test stopped may still log (KCL's shutdown thread: "Shutdown requested a second
     * time") and is not the command's.
     */
    public static synchronized CommandRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(routed(out, oldOut));
            System.setErr(routed(err, oldErr));
            IN_COMMAND.set(true);
            exit = Main.execute(args);
        } finally {
            IN_COMMAND.remove();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new CommandRun(exit, out.toString(UTF_8), err.toString(UTF_8));
    }

    /** Set on the command's thread; threads started from it inherit it. */
    private static final InheritableThreadLocal<Boolean> IN_COMMAND = new InheritableThreadLocal<>();

    private static PrintStream routed(OutputStream captured, OutputStream others) {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                target().write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                target().write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                target().flush();
            }

            private OutputStream target() {
                return Boolean.TRUE.equals(IN_COMMAND.get()) ? captured : others;
            }
        }, true, UTF_8);
    }

    public List<String> outLines() {
        return out.lines().toList();
    }

    public List<String> errLines() {
        return err.lines().toList();
    }

    @Override
    public String toString() {
        return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
}
