package io.lakehose.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's launcher (deploy/docker/jit-by-command.sh, the first words of the Dockerfile's
 * ENTRYPOINT): C1 only for short commands, C2 kept for the long-running ones, the command line
 * otherwise passed on word for word. Run by sh with a stand-in for java that prints its arguments.
 */
class JitByCommandTest {

    private static final Path LAUNCHER = Path.of("deploy/docker/jit-by-command.sh");
    private static final String C1 = "-XX:TieredStopAtLevel=1";

    @TempDir
    Path tmp;

    @Test
    void shortCommandsGetC1Only() throws Exception {
        for (String command : List.of("convert", "preflight", "audit", "maintain", "config-reference")) {
            assertThat(launch(Map.of(), "-XX:MaxRAMPercentage=75", "-jar", "/app/lakehose.jar", command, "--config", "x"))
                    .as(command)
                    .containsExactly(C1, "-XX:MaxRAMPercentage=75", "-jar", "/app/lakehose.jar", command, "--config", "x");
        }
    }

    @Test
    void longRunningCommandsKeepC2() throws Exception {
        for (String command : List.of("run", "replay", "backfill")) {
            assertThat(launch(Map.of(), "-jar", "/app/lakehose.jar", command, "--config", "/config/lakehose.yaml"))
                    .as(command).containsExactly("-jar", "/app/lakehose.jar", command, "--config", "/config/lakehose.yaml");
        }
    }

    @Test
    void argumentsPassUnchangedAndOnlyTheWordAfterTheJarCounts() throws Exception {
        // "run" as an option's value, a space and a glob in a path: still convert, still one word each
        assertThat(launch(Map.of(), "-jar", "/app/lakehose.jar", "convert", "--input", "a b*.jsonl", "--source-id", "run"))
                .containsExactly(C1, "-jar", "/app/lakehose.jar", "convert", "--input", "a b*.jsonl", "--source-id", "run");
    }

    @Test
    void anExplicitCompilerChoiceIsLeftAlone() throws Exception {
        assertThat(launch(Map.of(), "-XX:TieredStopAtLevel=4", "-jar", "/app/lakehose.jar", "convert"))
                .containsExactly("-XX:TieredStopAtLevel=4", "-jar", "/app/lakehose.jar", "convert");
        assertThat(launch(Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=4"), "-jar", "/app/lakehose.jar", "convert"))
                .containsExactly("-jar", "/app/lakehose.jar", "convert");
        assertThat(launch(Map.of("JDK_JAVA_OPTIONS", "-XX:-TieredCompilation"), "-jar", "/app/lakehose.jar", "convert"))
                .containsExactly("-jar", "/app/lakehose.jar", "convert");
    }

    /** The arguments the stand-in java was given, one per element. */
    private List<String> launch(Map<String, String> env, String... javaArgs) throws IOException, InterruptedException {
        Path fakeJava = tmp.resolve("java");
        Path printed = tmp.resolve("args");
        Files.writeString(fakeJava, "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done > '" + printed + "'\n");
        assertThat(fakeJava.toFile().setExecutable(true)).isTrue();
        List<String> command = new ArrayList<>(List.of("sh", LAUNCHER.toString(), fakeJava.toString()));
        command.addAll(List.of(javaArgs));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("out").toFile());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("out"))).isZero();
        List<String> args = Files.readAllLines(printed, StandardCharsets.UTF_8);
        Files.delete(printed);
        return args;
    }
}
