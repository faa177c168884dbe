package io.lakehose.bench;

import io.lakehose.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BenchCommandTest {

    @Test
    void aTinyRunPrintsTheTableAndTheVerdicts() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.executeCommand(new BenchCommand(), "--sizes", "700", "--seconds", "0.3", "--warmup", "0", "--input-mb", "2");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("bare parse (JsonParser)", "tree parse (readTree)", "decode only",
                "decode -> Parquet zstd", "goal 1", "goal 2", "MB/CPU-s");
        assertThat(out.lines().filter(l -> l.contains("decode -> Parquet zstd")).count()).isEqualTo(2);
    }

    @Test
    void rejectsAnUnknownMeasurement() {
        assertThat(Main.executeCommand(new BenchCommand(), "--only", "nothing", "--input-mb", "1")).isNotZero();
    }
}
