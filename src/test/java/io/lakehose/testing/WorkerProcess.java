package io.lakehose.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The shipped jar running as a worker in a child process ({@code java -Xmx512m -jar lakehose.jar
 * run --config FILE}), so that tests can do to it what ECS and the kernel do: SIGTERM (graceful
 * stop) and SIGKILL (crash), then start another one.
 *
 * <pre>{@code
 * Path yaml = harness.writeConfig(dir.resolve("w.yaml"), Map.of("buffer.maxRecords", "300"));
 * WorkerProcess w = WorkerProcess.start(jar, yaml, dir, "w1");
 * w.awaitLog("lease taken", Duration.ofSeconds(30));
 * w.sigkill();                      // kill -9: no flush, no checkpoint
 * w.sigstop(); w.sigcont();        // freeze (a GC pause, a stalled host) and wake it
 * w.sigterm();                      // graceful: flush, upload, checkpoint, then exit
 * int code = w.waitFor(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>The environment is {@link WorkerHarness#processEnvironment()} (dummy emulator credentials)
 *       plus {@code LAKEHOSE_BUFFER_SPOOL_DIR} pointing at a spool directory of its own, so
 *       {@link #spoolFiles()} sees only this process's buffers. Inherited {@code LAKEHOSE_*} and
 *       {@code AWS_*} variables are removed first: nothing from the developer's shell leaks in.</li>
 *   <li>stdout and stderr go to one log file ({@link #log()}); {@link #tail(int)} quotes its end for
 *       assertion messages, and {@link #waitFor} quotes it when the process does not exit in time.</li>
 *   <li>{@link #sigterm()} is {@link Process#destroy()}, which is SIGTERM on Linux and macOS;
 *       {@link #sigkill()} is {@link Process#destroyForcibly()} (SIGKILL) and waits until the
 *       process is gone, so a test knows no more uploads or checkpoints can come from it.</li>
 *   <li>{@link #close()} kills it if it is still running (for after-each hooks); the directory
 *       with the log and spool is left for the test's temporary directory to remove.</li>
 * </ul>
 */
public final class WorkerProcess implements AutoCloseable {

    private static final String HEAP = "-Xmx512m";
    /** JIT and GC options from the build (pom.xml, lakehose.testJvm): none when run otherwise. */
    private static final List<String> CHILD_JVM_OPTIONS = Arrays.stream(
            System.getProperty("lakehose.test.childJvm", "").trim().split("\\s+")).filter(o -> !o.isEmpty()).toList();

    private final String name;
    private final Process process;
    private final Path log;
    private final Path spoolDir;
    private final long startNanos;

    private WorkerProcess(String name, Process process, Path log, Path spoolDir, long startNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.spoolDir = spoolDir;
        this.startNanos = startNanos;
    }

    /**
     * Starts {@code java -Xmx512m -jar jar run --config config}; its log and spool directory go
     * under {@code dir/name}. The working directory is the test's (the repository root under
     * failsafe).
     */
    public static WorkerProcess start(Path jar, Path config, Path dir, String name) {
        return start(jar, config, dir, name, List.of());
    }

    /**
     * Like {@link #start(Path, Path, Path, String)}, with JVM options before {@code -jar} (e.g.
     * {@code -Dlakehose.test.haltAt=...}, a test-only crash point: {@code io.lakehose.commit.CrashPoints}).
     */
    public static WorkerProcess start(Path jar, Path config, Path dir, String name, List<String> jvmOptions) {
        return startCommand(jar, dir, name, jvmOptions, "run", "--config", config.toAbsolutePath().toString());
    }

    /** Starts {@code java -Xmx512m -jar jar <args>} like {@link #start}, for any subcommand. */
    public static WorkerProcess startCommand(Path jar, Path dir, String name, String... args) {
        return startCommand(jar, dir, name, List.of(), args);
    }

    private static WorkerProcess startCommand(Path jar, Path dir, String name, List<String> jvmOptions, String... args) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no worker jar at " + jar.toAbsolutePath()
                    + "; build it (mvn package) or pass -Dlakehose.jar");
        }
        Path home = dir.resolve(name);
        Path spool = home.resolve("spool");
        Path log = home.resolve("worker.log");
        // The native libraries the jar unpacks (SQLite, Snappy) go under the test's directory: a
        // worker killed or halted never runs the deleteOnExit that would remove them from /tmp.
        Path javaTmp = home.resolve("java-tmp");
        try {
            Files.createDirectories(spool);
            Files.createDirectories(javaTmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, HEAP, "-Djava.io.tmpdir=" + javaTmp.toAbsolutePath()));
        command.addAll(CHILD_JVM_OPTIONS);
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("LAKEHOSE_") || k.startsWith("AWS_"));
        env.putAll(WorkerHarness.processEnvironment());
        env.put("LAKEHOSE_BUFFER_SPOOL_DIR", spool.toAbsolutePath().toString());
        try {
            return new WorkerProcess(name, pb.start(), log, spool, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + java, e);
        }
    }

    /**
     * Runs the jar's {@code audit --config config} (the operator's check that no record is stored
     * twice and none is missing up to the checkpoints) and fails unless it exits 0 within a
     * minute; returns its report.
     */
    public static String assertAuditClean(Path jar, Path config, Path dir) {
        WorkerProcess audit = startCommand(jar, dir, "audit-" + config.getFileName() + "-" + System.nanoTime(), "audit",
                "--config", config.toAbsolutePath().toString());
        try {
            int exit = audit.waitFor(Duration.ofSeconds(60));
            if (exit != 0) {
                throw new AssertionError("audit of " + config + " exited " + exit + ":\n" + audit.logText());
            }
            return audit.logText();
        } finally {
            audit.close();
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** How long ago it was started. */
    public Duration age() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** SIGTERM: asks for a graceful stop; returns at once. */
    public void sigterm() {
        process.destroy();
    }

    /** SIGKILL, then waits until the process is gone (it cannot upload or checkpoint any more). */
    public void sigkill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + pid() + ") still alive 30 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * SIGSTOP ({@code kill -STOP <pid>}): the whole JVM freezes, timers and sockets included, the
     * way a long GC pause or a stalled host does; its leases expire while it cannot notice.
     */
    public void sigstop() {
        signal("STOP");
    }

    /** Whether the process is stopped (SIGSTOP, by the test or by itself): state T in /proc (Linux). */
    public boolean isStopped() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"), StandardCharsets.US_ASCII);
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
        } catch (IOException e) {
            return false; // gone
        }
    }

    /** SIGCONT ({@code kill -CONT <pid>}): a frozen process goes on where it stopped. */
    public void sigcont() {
        signal("CONT");
    }

    private void signal(String name) {
        if (!process.isAlive()) {
            throw new IllegalStateException(this.name + " (pid " + pid() + ") is not running; cannot send SIG" + name);
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + name + " " + pid() + " did not return within 10 s");
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Waits for the process to exit and returns its exit code (143 = ended by SIGTERM without
     * handling it, 137 = SIGKILL).
     *
     * @throws IllegalStateException if it is still running after {@code timeout}; the message
     *     quotes the end of its log
     */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + pid() + ") did not exit within " + timeout
                        + "; log tail:\n" + tail(60));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return process.exitValue();
    }

    /** The log file (stdout and stderr together). */
    public Path log() {
        return log;
    }

    /** The whole log so far. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /**
     * The last {@code lines} lines of the log, headed by the process's name and pid and by its
     * ERROR lines (at most 10, cut to 1,000 characters): why a worker stopped is rarely in its tail.
     */
    public String tail(int lines) {
        List<String> all = logText().lines().toList();
        List<String> errors = all.stream().filter(l -> l.contains("\"level\":\"ERROR\""))
                .map(l -> l.length() > 1000 ? l.substring(0, 1000) + "..." : l).toList();
        return "---- " + name + " (pid " + pid() + ", " + (isAlive() ? "running" : "exit " + process.exitValue())
                + ") " + log + "\n"
                + (errors.isEmpty() ? "" : "-- ERROR lines:\n" + String.join("\n", errors.subList(Math.max(0,
                errors.size() - 10), errors.size())) + "\n-- last lines:\n")
                + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * Waits until the log contains {@code text}.
     *
     * @throws IllegalStateException if the process exits first or the timeout passes
     */
    public void awaitLog(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!logText().contains(text)) {
            if (!isAlive()) {
                throw new IllegalStateException(name + " exited before logging '" + text + "':\n" + tail(60));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not log '" + text + "' within " + timeout + ":\n" + tail(60));
            }
            pause(50);
        }
    }

    /** The spool directory given to the process (it spools under {@code pid-<pid>/} inside). */
    public Path spoolDir() {
        return spoolDir;
    }

    /** The files in its spool directory now: buffers being written or waiting for upload. */
    public List<Path> spoolFiles() {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(spoolDir)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        } catch (IOException | UncheckedIOException e) {
            // files come and go while we walk; what was seen is enough
        }
        return files;
    }

    /** Kills it if still running (SIGKILL ends a stopped process too). */
    @Override
    public void close() {
        if (process.isAlive()) {
            sigkill();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
