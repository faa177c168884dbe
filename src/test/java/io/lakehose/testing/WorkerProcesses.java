package io.lakehose.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The worker processes (and whatever else must stop with them: producers, proxies, catalogs) of
 * one test, for the process ITs: {@code @RegisterExtension final WorkerProcesses workers = new
 * WorkerProcesses();} on an instance field, then {@link #start} instead of
 * {@link WorkerProcess#start} and {@link #closeAfter} for the rest.
 *
 * <ul>
 *   <li>When the test failed, the end of every worker's log ({@link WorkerProcess#tail(int) tail(80)})
 *       and every {@link #onFailure} note go to stderr, before anything is stopped.</li>
 *   <li>After each test, the resources are closed (in the order given), then the workers killed
 *       (SIGKILL ends a stopped process too).</li>
 *   <li>{@code -Dlakehose.it.logDir=DIR} keeps every worker's log as
 *       {@code DIR/<test class>-<worker>.log} (the temporary directory goes away).</li>
 * </ul>
 */
public final class WorkerProcesses implements AfterTestExecutionCallback, AfterEachCallback {

    private final List<WorkerProcess> workers = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Supplier<String>> failureNotes = new ArrayList<>();

    /** {@link WorkerProcess#start}, stopped after the test. */
    public WorkerProcess start(Path jar, Path config, Path dir, String name) {
        return start(jar, config, dir, name, List.of());
    }

    /** {@link WorkerProcess#start(Path, Path, Path, String, List)} (with JVM options), stopped after the test. */
    public WorkerProcess start(Path jar, Path config, Path dir, String name, List<String> jvmOptions) {
        WorkerProcess w = WorkerProcess.start(jar, config, dir, name, jvmOptions);
        workers.add(w);
        return w;
    }

    /** Closes {@code resource} after the test, before the workers are killed; returns it. */
    public <T extends AutoCloseable> T closeAfter(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Printed to stderr (after the workers' log tails) when the test failed. */
    public void onFailure(Supplier<String> note) {
        failureNotes.add(note);
    }

    /** Every worker started so far, in order. */
    public List<WorkerProcess> all() {
        return List.copyOf(workers);
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            for (WorkerProcess w : workers) {
                System.err.println(w.tail(80));
            }
            for (Supplier<String> note : failureNotes) {
                System.err.println(note.get());
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Exception failure = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        workers.forEach(WorkerProcess::close);
        copyLogs(context.getRequiredTestClass().getSimpleName() + "-");
        resources.clear();
        workers.clear();
        failureNotes.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private void copyLogs(String prefix) throws IOException {
        String keep = System.getProperty("lakehose.it.logDir");
        if (keep != null && !keep.isBlank()) {
            Path dir = Files.createDirectories(Path.of(keep));
            for (WorkerProcess w : workers) {
                Files.copy(w.log(), dir.resolve(prefix + w.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
