package io.lakehose.cli;

import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert}'s failure paths as a user sees them (docs/design.md, "Interfaces"): a non-zero exit and one
 * line on stderr that names what to fix, never a stack trace; and the Parquet codec chosen in the
 * configuration file, checked in the footers by DuckDB.
 */
class ConvertCommandErrorsTest {

    private static final String GOOD = "{\"awsRegion\": \"us-east-1\", \"eventID\": \"e1\", \"eventName\": \"INSERT\", "
            + "\"userIdentity\": null, \"tableName\": \"orders\", \"dynamodb\": {\"ApproximateCreationDateTime\": 1732525080123, "
            + "\"ApproximateCreationDateTimePrecision\": \"MILLISECOND\", \"Keys\": {\"pk\": {\"S\": \"a\"}}, "
            + "\"NewImage\": {\"pk\": {\"S\": \"a\"}, \"n\": {\"N\": \"12345678901234567890123456789012345678\"}}, "
            + "\"SizeBytes\": 10}, \"eventSource\": \"aws:dynamodb\"}";

    @Test
    void missingInputFileIsOneLineNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-changes.jsonl");
        CommandRun run = CommandRun.of("convert", "--input", missing.toString(), "--output", dir.resolve("lake").toString());
        assertThat(run.exit).isNotZero();
        assertOneLineError(run.err).contains(missing.toString());
    }

    @Test
    void inputDirectoryWithoutFilesIsOneLine(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("archive/2024/11/25"));
        CommandRun run = CommandRun.of("convert", "--input", dir.resolve("archive").toString(), "--output",
                dir.resolve("lake").toString());
        assertThat(run.exit).isNotZero();
        assertOneLineError(run.err).contains(dir.resolve("archive").toString(), "no files");
        assertThat(empty).isEmptyDirectory();
        assertThat(dir.resolve("lake")).doesNotExist();
    }

    @Test
    void standardInputWithoutASourceIdIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        Path output = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", "-", "--output", output.toString(), "--format", "iceberg");
        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains("standard input", "--source-id");
        assertThat(output).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource({"a/b", "day~1", "''", "x2345678901234567890123456789012345678901"})
    void aSourceIdThatCannotBePartOfAnObjectNameIsRefused(String id, @TempDir Path dir) throws Exception {
        Path output = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", writeInput(dir).toString(), "--output", output.toString(),
                "--source-id", id);
        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains("--source-id '" + id + "'", "1-40 characters");
        assertThat(output).doesNotExist();
    }

    @Test
    void outputUnderARegularFileIsOneLine(@TempDir Path dir) throws Exception {
        Path input = writeInput(dir);
        Path blocker = Files.writeString(dir.resolve("blocker"), "a file, not a directory");
        Path output = blocker.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString());
        assertThat(run.exit).isNotZero();
        assertOneLineError(run.err).contains(blocker.toString());
        assertThat(Files.readString(blocker)).isEqualTo("a file, not a directory");
    }

    @Test
    void badConfigNamesEveryWrongKey(@TempDir Path dir) throws Exception {
        Path input = writeInput(dir);
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), """
                buffer:
                  maxBytes: lots
                  maxBites: 1MiB
                """);
        Path output = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString(), "--config", config.toString());
        assertThat(run.exit).isNotZero();
        assertThat(run.err).startsWith("error:")
                .contains("buffer.maxBytes", "lots", "buffer.maxBites")
                .doesNotContain("\tat ", "at io.", "Exception");
        assertThat(run.out).isEmpty();
        assertThat(output).as("nothing is written with a bad configuration").doesNotExist();
    }

    @Test
    void missingConfigFileIsOneLine(@TempDir Path dir) throws Exception {
        Path input = writeInput(dir);
        Path config = dir.resolve("absent.yaml");
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", dir.resolve("lake").toString(),
                "--config", config.toString());
        assertThat(run.exit).isNotZero();
        assertOneLineError(run.err).contains(config.toString());
    }

    @Test
    void unknownCodecIsRejectedWithTheAllowedOnes(@TempDir Path dir) throws Exception {
        Path input = writeInput(dir);
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), "parquet:\n  compression: lz4\n");
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", dir.resolve("lake").toString(),
                "--config", config.toString());
        assertThat(run.exit).isNotZero();
        assertOneLineError(run.err).contains("parquet.compression", "lz4", "zstd", "snappy", "gzip", "none");
    }

    @ParameterizedTest
    @CsvSource({"snappy, SNAPPY", "gzip, GZIP", "none, UNCOMPRESSED", "zstd, ZSTD", "SNAPPY, SNAPPY"})
    void parquetCodecFromTheConfigFile(String configured, String inFooter, @TempDir Path dir) throws Exception {
        Path input = writeInput(dir);
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), "parquet:\n  compression: " + configured + "\n");
        Path output = dir.resolve("lake");
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString(), "--config", config.toString());
        assertThat(run.exit).as(run.err).isZero();

        List<Path> files = DuckDbLake.parquetFiles(output);
        assertThat(files).hasSize(2); // two hours
        try (DuckDbLake duck = DuckDbLake.open()) {
            for (Path f : files) {
                assertThat(duck.compressions(f)).as(f.toString()).containsExactly(inFooter);
            }
            List<Map<String, Object>> rows = duck.query("SELECT event_id, new_image FROM " + DuckDbLake.lake(output)
                    + " ORDER BY event_id");
            assertThat(rows).extracting(r -> r.get("event_id")).containsExactly("e1", "e2");
            assertThat(rows.get(0).get("new_image")).isEqualTo("{\"pk\":\"a\",\"n\":12345678901234567890123456789012345678}");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Path writeInput(Path dir) throws Exception {
        String second = GOOD.replace("\"e1\"", "\"e2\"").replace("1732525080123", "1732528680123"); // an hour later
        return Files.writeString(dir.resolve("changes.jsonl"), GOOD + "\n" + second + "\n");
    }

    private static AbstractStringAssert<?> assertOneLineError(String err) {
        String trimmed = err.strip();
        assertThat(trimmed.split("\\R")).as("stderr must be one line:%n%s", err).hasSize(1);
        return assertThat(trimmed).startsWith("error:").doesNotContain("at io.", "\tat ", "Exception");
    }

}
