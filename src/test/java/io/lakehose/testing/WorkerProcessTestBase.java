package io.lakehose.testing;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * What every test of worker processes against the local stack declares, once: the shipped jar
 * ({@code -Dlakehose.jar}, which failsafe sets), one {@link LocalAwsStack} for the test class, the
 * test's {@link WorkerProcesses} (stopped after each test, their log tails printed when it failed)
 * and its temporary directory. {@code class SomeIT extends WorkerProcessTestBase}.
 */
public abstract class WorkerProcessTestBase {

    /** The shipped jar under test. */
    protected static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));

    /** One stack per test class (the field is the base's: test classes of a JVM run one at a time). */
    @RegisterExtension
    protected static final LocalStackExtension aws = new LocalStackExtension();

    @RegisterExtension
    protected final WorkerProcesses workers = new WorkerProcesses();

    @TempDir
    protected Path tmp;
}
