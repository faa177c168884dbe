package io.lakehose.backfill;

import io.lakehose.testing.CommandRun;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.DynamoDbLocalExtension;
import io.lakehose.testing.S3EmulatorExtension;
import io.lakehose.testing.TestTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `backfill --from-export` on files in the exact layout of a DynamoDB export to S3
 * (DYNAMODB_JSON): manifest-summary.json, manifest-files.json, gzipped data files of
 * {@code {"Item": {...}}} lines, in S3Proxy.
 */
class BackfillExportTest {

    static final String EXPORT_ID = "01732521600000-a1b2c3d4";
    static final String PREFIX = "exports/AWSDynamoDB/" + EXPORT_ID + "/";
    static final String EXPORT_TIME = "2026-11-20T07:28:34.028Z";

    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();
    @RegisterExtension
    static final DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();

    @TempDir
    Path dir;

    /** Writes an export of items 0..n-1 over {@code files} data files, plus {@code badLines} broken lines in the last. */
    static void writeExport(int n, int files, List<String> badLines) throws IOException {
        AttributeValueJson json = new AttributeValueJson();
        StringBuilder manifest = new StringBuilder();
        for (int f = 0; f < files; f++) {
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            int count = 0;
            try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                for (int i = f; i < n; i += files) {
                    out.write("{\"Item\":".getBytes(StandardCharsets.UTF_8));
                    out.write(json.typed(TestTables.item(i)));
                    out.write("}\n".getBytes(StandardCharsets.UTF_8));
                    count++;
                }
                if (f == files - 1) {
                    for (String bad : badLines) {
                        out.write((bad + "\n").getBytes(StandardCharsets.UTF_8));
                        count++;
                    }
                }
            }
            String key = PREFIX + "data/file" + f + "xyz.json.gz";
            put(key, gz.toByteArray());
            manifest.append("{\"itemCount\":").append(count).append(",\"md5Checksum\":\"x\",\"etag\":\"y\","
                    + "\"dataFileS3Key\":\"").append(key).append("\"}\n");
        }
        put(PREFIX + "manifest-files.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        String summary = "{\"version\":\"2020-06-30\",\"exportArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
                + "ProductCatalog/export/" + EXPORT_ID + "\",\"startTime\":\"2026-11-20T07:28:34.028Z\","
                + "\"endTime\":\"2026-11-20T07:33:43.897Z\",\"tableArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/"
                + "ProductCatalog\",\"tableId\":\"12345a12-abcd-123a-ab12-1234abc12345\",\"exportTime\":\""
                + EXPORT_TIME + "\",\"s3Bucket\":\"" + s3.bucket() + "\",\"s3Prefix\":\"exports\","
                + "\"s3SseAlgorithm\":\"AES256\",\"s3SseKmsKeyId\":null,\"manifestFilesS3Key\":\""
                + PREFIX + "manifest-files.json\",\"billedSizeBytes\":0,\"itemCount\":" + n
                + ",\"outputFormat\":\"DYNAMODB_JSON\"}";
        put(PREFIX + "manifest-summary.json", summary.getBytes(StandardCharsets.UTF_8));
        put(PREFIX + "_started", new byte[0]);
    }

    static void put(String key, byte[] bytes) {
        s3.client().putObject(b -> b.bucket(s3.bucket()).key(key), RequestBody.fromBytes(bytes));
    }

    private Path config(Path lake) throws IOException {
        return Files.writeString(dir.resolve("lakehose.yaml"), "lake:\n  uri: \"" + lake + "\"\n"
                + "s3:\n  endpoint: \"" + s3.endpoint() + "\"\n  pathStyleAccess: true\n"
                + "buffer:\n  maxBytes: 64KiB\nhttp:\n  port: 0\n"
                + "backfill:\n  region: us-east-1\n  endpoint: \"" + ddb.endpoint() + "\"\n");
    }

    /** Exit code, a newline, then standard output. */
    private static String run(String... args) {
        CommandRun r = CommandRun.of(args);
        return r.exit + "\n" + r.out;
    }

    @Test
    void exportItemsBecomeSnapshotRowsAtTheExportTimeAndBadLinesGoToTheErrorOutput() throws Exception {
        writeExport(2500, 3, List.of("{\"Item\":{\"id\":{\"S\":\"bad-1\"},\"n\":{\"N\":\"not a number\"}}}",
                "{\"Item\":{\"n\":{\"N\":\"5\"}}}", "this is not json"));
        Path lake = dir.resolve("lake");

        String out = run("backfill", "--config", config(lake).toString(), "--keys", "id",
                "--from-export", "s3://" + s3.bucket() + "/" + PREFIX);

        assertThat(out).startsWith("0\n").contains("backfill ProductCatalog done: 2,500 items")
                .contains("3 to the error output");
        try (DuckDbLake db = DuckDbLake.open()) {
            String from = DuckDbLake.lake(lake.resolve("table=ProductCatalog"));
            Map<String, Object> agg = db.query("SELECT count(*) AS rows, count(DISTINCT keys) AS keys, "
                    + "min(event_time) = max(event_time) AS one_time, strftime(min(event_time), '%Y-%m-%dT%H:%M:%S.%g') AS t, "
                    + "min(dt) AS dt, min(hour) AS hour, min(event_name) AS name FROM " + from).get(0);
            assertThat(agg).containsEntry("rows", 2500L).containsEntry("keys", 2500L).containsEntry("one_time", true)
                    .containsEntry("t", "2026-11-20T07:28:34.028").containsEntry("dt", "2026-11-20")
                    .containsEntry("hour", "07").containsEntry("name", "SNAPSHOT");
            String image = (String) db.query("SELECT new_image FROM " + from + " WHERE keys = '{\"id\":\"item-42\"}'")
                    .get(0).get("new_image");
            assertThat(image).contains("\"price\":12345678901234567890.1234567892,")
                    .contains("\"address\":{").contains("\"blobs\":[\"CQ==\"]");
        }
        List<String> errors = new ArrayList<>();
        try (var files = Files.walk(lake.resolve("errors"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                errors.add(lake.relativize(f) + " " + Files.readString(f));
            }
        }
        assertThat(String.join("\n", errors)).contains("reason=invalid_attribute_value").contains("reason=invalid_json")
                .contains("reason=not_a_cdc_record").contains("line 835");
    }

    @Test
    void noHttpEndpointUnlessAskedSoABackfillRunsBesideTheServiceOnOneHost() throws Exception {
        writeExport(40, 1, List.of());
        Path lake = dir.resolve("lake-port");
        // The service (`run`) listens on http.port of the configuration both share.
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = service.getLocalPort();
            Path shared = Files.writeString(dir.resolve("shared.yaml"),
                    Files.readString(config(lake)).replace("port: 0", "port: " + port));
            assertThat(Files.readString(shared)).contains("port: " + port);
            String from = "s3://" + s3.bucket() + "/" + PREFIX;

            CommandRun beside = CommandRun.of("backfill", "--config", shared.toString(), "--keys", "id",
                    "--from-export", from);
            assertThat(beside.exit).as(beside.err).isZero();
            assertThat(beside.out).contains("backfill ProductCatalog done: 40 items");

            // --http-port still serves: here on a port that is taken, which it reports.
            CommandRun taken = CommandRun.of("backfill", "--config", shared.toString(), "--keys", "id",
                    "--from-export", from, "--http-port", Integer.toString(port));
            assertThat(taken.exit).isEqualTo(2);
            assertThat(taken.err).contains("error: --http-port " + port + " is in use");
        }
    }

    @Test
    void aLocalCopyOfTheExportWorksAndMissingManifestsAreNamed() throws Exception {
        Path export = dir.resolve("copy/AWSDynamoDB/" + EXPORT_ID);
        Files.createDirectories(export.resolve("data"));
        Files.writeString(export.resolve("manifest-summary.json"), "{\"exportArn\":\"arn:aws:dynamodb:us-east-1:1:table/T/export/"
                + EXPORT_ID + "\",\"exportTime\":\"" + EXPORT_TIME + "\",\"outputFormat\":\"ION\","
                + "\"manifestFilesS3Key\":\"x/AWSDynamoDB/" + EXPORT_ID + "/manifest-files.json\"}");
        Path lake = dir.resolve("lake2");

        assertThat(run("backfill", "--config", config(lake).toString(), "--keys", "id", "--table", "T",
                "--from-export", export.toString())).startsWith("2\n");
        assertThat(run("backfill", "--config", config(lake).toString(), "--keys", "id", "--table", "T",
                "--from-export", dir.resolve("nothing/AWSDynamoDB/x").toString())).startsWith("1\n");
        assertThat(run("backfill", "--config", config(lake).toString(), "--table", "T",
                "--from-export", dir.toString())).startsWith("2\n");
    }
}
