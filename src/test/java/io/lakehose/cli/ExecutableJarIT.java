package io.lakehose.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped artifact itself: one executable jar, no emulator, test library or benchmark inside, and it runs. */
class ExecutableJarIT {

    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));

    @TempDir
    Path tmp;

    @Test
    void containsNoEmulatorOrTestLibrary() throws IOException {
        List<String> forbidden = List.of("org/gaul/", "com/adobe/testing/", "org/duckdb/", "org/junit/",
                "org/assertj/", "com/amazonaws/services/dynamodbv2/local/", "org/apache/hadoop/",
                "io/lakehose/bench/", "io/lakehose/testing/", "io/lakehose/local/");
        List<String> found = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (var e : Collections.list(jar.entries())) {
                for (String f : forbidden) {
                    if (e.getName().startsWith(f)) {
                        found.add(e.getName());
                    }
                }
            }
        }
        assertThat(found).as("test-only, bench or Hadoop classes in %s", JAR).isEmpty();
    }

    @Test
    void helpListsTheSubcommands() throws Exception {
        Result r = run("--help");
        assertThat(r.exit).isZero();
        assertThat(r.out).contains("convert").contains("backfill").contains("config-reference");
        // The benchmark is its own module and jar (bench/target/lakehose-bench.jar).
        assertThat(r.out).doesNotContain("bench");
    }

    @Test
    void convertsTheShippedSampleIntoALocalLake() throws Exception {
        Path lake = tmp.resolve("lake");
        Result r = run("convert", "--input", "config/sample/changes.jsonl", "--output", lake.toString());
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out.strip().lines()).hasSize(1);
        assertThat(r.out).contains("records=16 rows=13 errors=3");
        try (Stream<Path> files = Files.walk(lake)) {
            List<String> keys = files.filter(Files::isRegularFile).map(p -> lake.relativize(p).toString()).sorted().toList();
            assertThat(keys).anyMatch(k -> k.startsWith("table=example-ddb-table/dt=2024-11-25/hour=08/") && k.endsWith(".parquet"));
            assertThat(keys).anyMatch(k -> k.startsWith("table=example-ddb-table/dt=2024-11-25/hour=09/") && k.endsWith(".parquet"));
            assertThat(keys).anyMatch(k -> k.startsWith("errors/table=unknown/reason=invalid_json/") && k.endsWith(".jsonl"));
            assertThat(keys).noneMatch(k -> k.contains(".lakehose-spool"));
        }
    }

    @Test
    void aMissingInputIsOneLineAndNonZero() throws Exception {
        Result r = run("convert", "--input", tmp.resolve("nope.jsonl").toString(), "--output", tmp.resolve("o").toString());
        assertThat(r.exit).isNotZero();
        assertThat(r.err.strip().lines()).hasSize(1);
        assertThat(r.err).startsWith("error: input file").contains("nope.jsonl").doesNotContain("\tat ");
    }

    private record Result(int exit, String out, String err) {
    }

    private Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
