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
    void theCostTablePricesTheMeasuredRowAndTheObjectsWritten() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.executeCommand(new BenchCommand(), "--sizes", "700", "--only", "parse,pipeline", "--seconds",
                    "0.3", "--warmup", "0", "--input-mb", "2", "--cost", "--cost-mb", "3", "--cost-steps", "1");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("CPU by JVM thread kind: JIT compilers", "shards: a shard read at Kinesis's limit",
                "Cost per TB", "| lakehose: Fargate vCPU |", "| Firehose to Iceberg tables | 931 GB x $0.075 | 69.85 |");
        // 3 MB of records 1 ms apart (about 4 s of stream) are one file: one object, one PutObject.
        assertThat(out).containsPattern("hourly partitions, 0\\.\\d+ MB/s per shard \\([\\d,]+ records, 3 MB, \\d+ s of "
                + "stream\\): 1 objects");
    }

    @Test
    void rejectsAnUnknownMeasurement() {
        assertThat(Main.executeCommand(new BenchCommand(), "--only", "nothing", "--input-mb", "1")).isNotZero();
    }
}
