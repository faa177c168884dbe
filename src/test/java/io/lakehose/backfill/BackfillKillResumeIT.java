package io.lakehose.backfill;

import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.DynamoDbLocalExtension;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.TestTables;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real jar backfills 100,000 items of a DynamoDB Local table over 8 segments into an S3
 * lake (S3Proxy, SSE-KMS), is killed with SIGKILL part-way, and is started again with the same
 * arguments: the lake ends with every item exactly once.
 */
class BackfillKillResumeIT {

    static final int ITEMS = 100_000;
    static final String TABLE = "big";

    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();
    @RegisterExtension
    static final DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();

    @TempDir
    Path dir;

    @BeforeAll
    static void loadTable() {
        TestTables.create(ddb.client(), TABLE, false);
        TestTables.load(ddb.client(), TABLE, 0, ITEMS, TestTables::smallItem);
    }

    @Test
    void killedBackfillResumesToExactlyEveryItemOnce() throws Exception {
        Path jar = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), "lake:\n  uri: \"s3://" + s3.bucket() + "/lake\"\n"
                + "s3:\n  endpoint: \"" + s3.endpoint() + "\"\n  pathStyleAccess: true\n  kmsKeyId: \""
                + WorkerHarness.KMS_KEY + "\"\n"
                + "buffer:\n  maxBytes: 256KiB\nhttp:\n  port: 0\n"
                + "backfill:\n  region: us-east-1\n  endpoint: \"" + ddb.endpoint() + "\"\n");
        String[] args = {"backfill", "--config", config.toString(), "--table", TABLE, "--segments", "8",
                "--threads", "4", "--page-items", "1000", "--read-rate", "150", "--progress-seconds", "1"};

        WorkerProcess first = WorkerProcess.startCommand(jar, dir, "first", args);
        long storedAtKill = awaitStoredItems(20_000, Duration.ofSeconds(120), first);
        first.sigkill();
        first.waitFor(Duration.ofSeconds(10));
        assertThat(storedAtKill).as("killed part-way").isLessThan(ITEMS);

        WorkerProcess second = WorkerProcess.startCommand(jar, dir, "second", args);
        assertThat(second.waitFor(Duration.ofSeconds(300))).as(second.tail(20)).isZero();
        String log = second.logText();
        assertThat(log).contains("resuming 8 segments").contains("backfill big done: 100,000 items")
                .contains(", resumed");
        assertThat(first.logText()).as("progress lines while running").containsPattern(
                "backfill big: [\\d,]+ items \\([\\d,]+/s\\), segments \\d/8 done");

        Path lake = download(dir.resolve("lake"));
        try (DuckDbLake db = DuckDbLake.open()) {
            Map<String, Object> agg = db.query("SELECT count(*) AS rows, count(DISTINCT keys ->> 'id') AS ids, "
                    + "count(DISTINCT event_time) AS times FROM " + DuckDbLake.lake(lake.resolve("lake/table=big"))).get(0);
            assertThat(agg).containsEntry("rows", (long) ITEMS).containsEntry("ids", (long) ITEMS)
                    .containsEntry("times", 1L);
        }
        S3Object any = s3.client().listObjectsV2(b -> b.bucket(s3.bucket()).prefix("lake/table=big/")).contents().get(0);
        assertThat(s3.client().headObject(b -> b.bucket(s3.bucket()).key(any.key())).ssekmsKeyId())
                .isEqualTo(WorkerHarness.KMS_KEY);
    }

    /** Polls the saved progress until it holds at least {@code items}; returns how many it holds. */
    private long awaitStoredItems(long items, Duration timeout, WorkerProcess process) {
        Pattern stored = Pattern.compile("\"items\" : (\\d+)");
        return Await.until("the backfill stores " + items + " items", timeout, Duration.ofMillis(100), () -> {
            assertThat(process.isAlive()).as(process.tail(20)).isTrue();
            try {
                String json = s3.client().getObjectAsBytes(b -> b.bucket(s3.bucket())
                        .key("lake/_lakehose/backfill/big.json")).asString(StandardCharsets.UTF_8);
                long total = 0;
                Matcher m = stored.matcher(json);
                while (m.find()) {
                    total += Long.parseLong(m.group(1));
                }
                return total;
            } catch (NoSuchKeyException e) {
                return 0L; // not started yet
            }
        }, total -> total >= items);
    }

    private Path download(Path target) throws Exception {
        for (S3Object o : s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix("lake/")).contents()) {
            Path file = target.resolve(o.key());
            Files.createDirectories(file.getParent());
            s3.client().getObject(b -> b.bucket(s3.bucket()).key(o.key()), file);
        }
        return target;
    }
}
