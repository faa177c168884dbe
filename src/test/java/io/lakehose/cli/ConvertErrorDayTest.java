package io.lakehose.cli;

import io.lakehose.testing.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A line {@code convert} cannot decode has no event time; its error partition is dated by its
 * file's last modification, not by the day of the run: a second run on another day finds the
 * error lines where the first put them and writes nothing again (a run's own day would put them
 * into a new {@code dt=} partition, where the fence finds nothing, and repeat them).
 */
class ConvertErrorDayTest {

    @TempDir
    Path dir;

    @Test
    void anUndecodableLineIsDatedByItsFilesLastChangeSoAnotherRunAddsNothing() throws Exception {
        Path input = Files.writeString(dir.resolve("changes.jsonl"), "not json at all\n{\"also\": \"not a change\"\n");
        Files.setLastModifiedTime(input, FileTime.from(Instant.parse("2021-03-04T22:30:00Z")));
        Path output = dir.resolve("lake");

        CommandRun first = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString());
        assertThat(first.exit).as(first.toString()).isZero();
        List<Path> errorFiles = errorFiles(output);
        assertThat(errorFiles).isNotEmpty().allSatisfy(f -> assertThat(f.toString()).contains("/dt=2021-03-04/"));
        long lines = errorLines(errorFiles);
        assertThat(lines).isEqualTo(2);

        CommandRun again = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString());
        assertThat(again.exit).as(again.toString()).isZero();
        assertThat(errorFiles(output)).isEqualTo(errorFiles);
        assertThat(errorLines(errorFiles(output))).isEqualTo(lines);
    }

    private static List<Path> errorFiles(Path lake) throws Exception {
        try (Stream<Path> files = Files.walk(lake.resolve("errors"))) {
            return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
    }

    private static long errorLines(List<Path> files) throws Exception {
        long n = 0;
        for (Path f : files) {
            n += Files.readAllLines(f).size();
        }
        return n;
    }
}
