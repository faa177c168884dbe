package io.lakehose.cli;

import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.FirehoseArchive;
import io.lakehose.testing.FirehoseArchive.Delimiter;
import io.lakehose.testing.S3EmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static io.lakehose.cli.ConvertArchiveTest.assertOneLineError;
import static io.lakehose.cli.ConvertArchiveTest.counts;
import static io.lakehose.cli.ConvertArchiveTest.sequencesByEventId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert --input s3://bucket/prefix} against S3Proxy, configured through the lake's
 * {@code s3.*} keys: every object under the prefix in key order, GZIP and concatenated records as
 * Firehose wrote them, and the same sequence numbers as a local copy of the archive, so that
 * converting the copy and then the archive into one lake under one --source-id adds nothing the
 * second time.
 */
class ConvertFromS3Test {

    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    private static final Instant H07 = Instant.parse("2024-11-25T07:00:00Z");
    private static final Instant H08 = Instant.parse("2024-11-25T08:00:00Z");
    private static final Instant H23 = Instant.parse("2024-11-25T23:00:00Z");

    @Test
    void everyObjectUnderThePrefixInKeyOrderWithTheSameNumbersAsALocalCopy(@TempDir Path dir) throws Exception {
        FirehoseArchive archive = new FirehoseArchive()
                .add(H23, "c", 400, Delimiter.NONE, true)
                .add(H07, "a", 300, Delimiter.NONE, true)
                .add(H08, "b", 200, Delimiter.NEWLINE, true);
        archive.putTo(s3.client(), s3.bucket(), "firehose/");
        s3.client().putObject(b -> b.bucket(s3.bucket()).key("firehose/"), RequestBody.empty()); // a folder marker
        new FirehoseArchive().add(H08, "x", 5, Delimiter.NONE, false)
                .putTo(s3.client(), s3.bucket(), "other/"); // not under the prefix
        Path config = config(dir);

        Path fromCopy = dir.resolve("lake");
        CommandRun local = CommandRun.of("convert", "--input", archive.writeTo(dir.resolve("copy")).toString(),
                "--output", fromCopy.toString(), "--threads", "2", "--config", config.toString(), "--source-id", "firehose");
        assertThat(local.exit).as(local.err).isZero();
        assertThat(sequencesByEventId(fromCopy)).isEqualTo(archive.expectedSequences());

        String uri = "s3://" + s3.bucket() + "/firehose/";
        Path fresh = dir.resolve("fresh-lake");
        CommandRun run = CommandRun.of("convert", "--input", uri, "--output", fresh.toString(), "--threads", "2",
                "--config", config.toString(), "--show");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.outLines().get(0)).startsWith("converted 3 files under " + uri + " (first 2024/11/25/07/")
                .contains(", last 2024/11/25/23/");
        assertThat(counts(run.outLines().get(0))).containsEntry("records", 900L).containsEntry("rows", 900L);
        assertThat(run.outLines()).anySatisfy(l -> assertThat(l).matches("  0  2024/11/25/07/\\S+-a  gzip, concatenated  300"));
        assertThat(sequencesByEventId(fresh)).isEqualTo(archive.expectedSequences());

        List<Path> objects = DuckDbLake.parquetFiles(fromCopy);
        CommandRun again = CommandRun.of("convert", "--input", uri, "--output", fromCopy.toString(), "--threads", "2",
                "--config", config.toString(), "--source-id", "firehose");
        assertThat(again.exit).as(again.err).isZero();
        assertThat(counts(again.out)).as("the archive adds nothing to its local copy's lake").containsEntry("files", 0L);
        assertThat(DuckDbLake.parquetFiles(fromCopy)).isEqualTo(objects);
        assertThat(sequencesByEventId(fromCopy)).hasSize(900);
    }

    @Test
    void anObjectThatIsNeitherJsonNorGzipIsRefusedByItsUri(@TempDir Path dir) throws Exception {
        new FirehoseArchive().add(H07, "a", 10, Delimiter.NONE, true)
                .addRaw("2024/11/25/08/notes.pdf", "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n".getBytes(StandardCharsets.ISO_8859_1))
                .putTo(s3.client(), s3.bucket(), "refused/");
        Path lake = dir.resolve("lake");

        CommandRun run = CommandRun.of("convert", "--input", "s3://" + s3.bucket() + "/refused", "--output",
                lake.toString(), "--config", config(dir).toString());

        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains("s3://" + s3.bucket() + "/refused/2024/11/25/08/notes.pdf",
                "neither GZIP nor JSON text", "file 2 of 2");
        assertThat(sequencesByEventId(lake)).hasSize(10);
        assertThat(lake.resolve("errors")).doesNotExist();
    }

    @Test
    void anEmptyPrefixIsOneLine(@TempDir Path dir) throws Exception {
        CommandRun run = CommandRun.of("convert", "--input", "s3://" + s3.bucket() + "/nothing-here/", "--output",
                dir.resolve("lake").toString(), "--config", config(dir).toString());

        assertThat(run.exit).isEqualTo(2);
        assertOneLineError(run.err).contains("s3://" + s3.bucket() + "/nothing-here/", "holds no objects");
    }

    private static Path config(Path dir) throws Exception {
        return Files.writeString(dir.resolve("lakehose.yaml"),
                "s3:\n  endpoint: \"" + s3.endpoint() + "\"\n  pathStyleAccess: true\n");
    }
}
