package io.lakehose.cli;

import io.lakehose.config.HttpConfig;
import io.lakehose.config.ConfigKey;
import io.lakehose.testing.Await;
import io.lakehose.testing.Dockerfile;
import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.WorkerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "The runtime command in the Dockerfile must be the same that a test runs": this test reads the
 * final stage of the repository's Dockerfile and runs its ENTRYPOINT + CMD as a child process,
 * the way the container would, against the local AWS stack. Only what has to differ on a host
 * differs: {@code java} is this JVM's binary, the files the image COPYs are found where the build
 * put them (the jar from -Dlakehose.jar, the config from the build context), and the working
 * directory is an empty one standing in for WORKDIR, and the JVM runs without the image's
 * class-data archive (which the image build writes). The site settings come as LAKEHOSE_*
 * variables, as the deployment (deploy/cdk) passes them; the Dockerfile's own ENV comes first.
 */
class ContainerCommandIT {

    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
    private static final String IMAGE_CLASS_DATA = "/app/lakehose.jsa";
    private static final String LAUNCHER = "/app/jit-by-command.sh";
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void theImagesCommandServesHealthWritesTheLakeAndExitsZeroOnSigterm() throws Exception {
        Dockerfile docker = Dockerfile.read(Path.of("Dockerfile"));
        // Process.destroy() sends SIGTERM: the same signal the image declares (and ECS sends).
        assertThat(docker.single("STOPSIGNAL")).isEqualTo("SIGTERM");
        String healthUrl = healthCheckUrl(docker);
        Matcher port = ENV_REF.matcher(healthUrl);
        assertThat(port.find() && port.group(1).equals(HttpConfig.PORT.envName())).as(healthUrl).isTrue();
        assertThat(port.group(2)).as("the health check's default port is the jar's and the exposed one")
                .isEqualTo(HttpConfig.PORT.def()).isEqualTo(docker.single("EXPOSE"));

        List<String> command = hostCommand(docker);
        Path workdir = Files.createDirectories(tmp.resolve("workdir"));
        Path log = tmp.resolve("container.log");

        try (LocalAwsStack stack = LocalAwsStack.start()) {
            WorkerHarness h = new WorkerHarness(stack, "container", 2);
            Map<String, String> settings = h.config(Map.of("http.port", Integer.toString(freePort()),
                    "buffer.maxAgeSeconds", "1", "buffer.spoolDir", tmp.resolve("spool").toString()));
            ProcessBuilder pb = new ProcessBuilder(command).directory(workdir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("LAKEHOSE_") || k.startsWith("AWS_"));
            env.putAll(docker.env());
            env.putAll(WorkerHarness.processEnvironment()); // the emulators' dummy credentials
            settings.forEach((key, value) -> env.put(ConfigKey.envName(key), value));

            Process container = pb.start();
            try {
                // The launcher's exec: the process the container starts (PID 1 there) becomes the JVM,
                // so the SIGTERM below reaches the JVM itself, not a shell in front of it.
                Await.until(() -> "the launcher execs the JVM; log:\n" + tail(log), Duration.ofSeconds(30),
                        Duration.ofMillis(100), () -> {
                            Optional<String> exe = container.info().command();
                            return exe.isPresent() && Path.of(exe.get()).toRealPath().equals(JAVA.toRealPath());
                        });
                String url = expand(healthUrl, env);
                awaitOk(url, Duration.ofSeconds(60), container, log);

                List<byte[]> records = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    records.add(WorkerHarness.change(i, Instant.now()));
                }
                h.put(records);
                Await.until(() -> records.size() + " rows in the lake; log:\n" + tail(log), Duration.ofSeconds(60),
                        Duration.ofMillis(500), () -> h.rowsNow().size() >= records.size());
                assertThat(h.rowsNow()).as("rows in the lake; log:\n%s", tail(log)).hasSize(records.size());

                container.destroy(); // SIGTERM
                long budget = Long.parseLong(settings.get("kinesis.shutdownBudgetSeconds"));
                assertThat(container.waitFor(budget, TimeUnit.SECONDS))
                        .as("exited within the shutdown budget (%d s); log:\n%s", budget, tail(log)).isTrue();
                assertThat(container.exitValue()).as("exit code; log:\n%s", tail(log)).isZero();
            } finally {
                if (container.isAlive()) {
                    container.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * ENTRYPOINT + CMD with the image's paths replaced by where the files are on this host. Fails
     * if any other absolute path remains: that one would only exist inside the image.
     */
    private List<String> hostCommand(Dockerfile docker) throws IOException {
        Map<String, String> paths = new HashMap<>();
        assertThat(docker.copiesFromStages()).as("files the build stage puts into the image").containsExactly("/app/lakehose.jar");
        paths.put("/app/lakehose.jar", JAR.toAbsolutePath().toString());
        for (var copy : docker.copiesFromContext().entrySet()) {
            Path local = tmp.resolve("image" + copy.getKey());
            Files.createDirectories(local.getParent());
            Files.copy(Path.of(copy.getValue()), local);
            paths.put(copy.getKey(), local.toString());
        }
        List<String> command = new ArrayList<>(docker.command());
        // A sh that picks the JIT per command and execs the JVM (checked when it runs: the process is java).
        assertThat(command.subList(0, 3)).as("the launcher, then the JVM's command line")
                .containsExactly("sh", LAUNCHER, "java");
        // The class-data archive is written by a RUN of the image build with the image's own JVM (an
        // archive holds only for the JVM build that wrote it), so this host has none; without it the
        // JVM reads every class from the jar, as it does (silently) when an archive does not match.
        String archive = "-XX:SharedArchiveFile=" + IMAGE_CLASS_DATA;
        assertThat(command).as("the image's JVM maps its class-data archive").contains(archive);
        assertThat(docker.instructions("RUN")).as("a RUN writes the archive for the image's jar")
                .anyMatch(run -> run.args().contains("class-data-archive.sh /app/lakehose.jar " + IMAGE_CLASS_DATA));
        command.remove(archive);
        command.set(2, JAVA.toString());
        command.replaceAll(arg -> paths.getOrDefault(arg, arg));
        assertThat(command).as("arguments that name a path only the image has")
                .noneMatch(arg -> arg.startsWith("/") && !Files.exists(Path.of(arg)));
        assertThat(command).contains("-XX:MaxRAMPercentage=75", "run");
        return command;
    }

    /** The URL the HEALTHCHECK asks for, with its shell variable references left in. */
    private static String healthCheckUrl(Dockerfile docker) {
        Matcher m = Pattern.compile("\"?(http://[^\"\\s]+)\"?").matcher(docker.single("HEALTHCHECK"));
        assertThat(m.find()).as("a URL in the HEALTHCHECK").isTrue();
        return m.group(1);
    }

    /** Expands {@code ${VAR}} and {@code ${VAR:-default}} as the health check's shell does. */
    private static String expand(String text, Map<String, String> env) {
        return ENV_REF.matcher(text).replaceAll(r -> {
            String value = env.get(r.group(1));
            return Matcher.quoteReplacement(value != null && !value.isEmpty() ? value : r.group(2) == null ? "" : r.group(2));
        });
    }

    private void awaitOk(String url, Duration timeout, Process container, Path log) {
        Await.until(() -> url + " answers 200; log:\n" + tail(log), timeout, Duration.ofMillis(250), () -> {
            assertThat(container.isAlive()).as("still running; log:\n%s", tail(log)).isTrue();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(4)).build(),
                        HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200;
            } catch (IOException notYet) {
                return false; // not listening yet
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
