package io.lakehose.cli;

import io.lakehose.testing.Await;
import io.lakehose.testing.EmulatorAccess;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What `run` logs, as the container runs it (no LAKEHOSE_LOG_FORMAT): one JSON object per line
 * with the agreed fields, the shard id on shard work, and neither payload nor credentials, even
 * for records that go to the error output.
 */
class JsonLogsIT {

    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void everyLineIsAJsonObjectWithTheShardIdAndNoPayload() throws Exception {
        String sentinel = "sentinel-" + UUID.randomUUID();
        try (LocalAwsStack stack = LocalAwsStack.start()) {
            WorkerHarness h = new WorkerHarness(stack, "logs", 2);
            List<byte[]> records = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // the sentinel in the item's key and image, as a customer's data would be
                records.add(new String(WorkerHarness.change(i, Instant.now()), StandardCharsets.UTF_8)
                        .replace("\"s" + (i % 7) + "\"", "\"" + sentinel + "\"")
                        .replace("\"Keys\":{\"id\":{\"N\":\"" + i + "\"}}", "\"Keys\":{\"pk\":{\"S\":\"" + sentinel + "\"}}")
                        .getBytes(StandardCharsets.UTF_8));
            }
            // and in records that cannot be decoded (they go to the error output with their raw data)
            records.add(("{\"broken\": \"" + sentinel).getBytes(StandardCharsets.UTF_8));
            records.add(("{\"eventName\":\"INSERT\",\"dynamodb\":{\"NewImage\":{\"x\":{\"N\":\"" + sentinel + "\"}}}}")
                    .getBytes(StandardCharsets.UTF_8));
            h.put(records);
            Path config = h.writeConfig(tmp.resolve("lakehose.yaml"), Map.of("buffer.maxAgeSeconds", "1"));

            try (WorkerProcess worker = WorkerProcess.start(JAR, config, tmp, "worker")) {
                Await.until(() -> "20 rows in the lake; " + worker.tail(20), Duration.ofSeconds(90), Duration.ofMillis(500),
                        () -> h.rowsNow().size() >= 20);
                assertThat(h.rowsNow()).as("rows in the lake; %s", worker.tail(20)).hasSize(20);
                worker.sigterm();
                assertThat(worker.waitFor(Duration.ofSeconds(60))).isZero();

                String log = worker.logText();
                // run prints nothing on stdout, so the process's whole output is its log (stderr)
                List<String> lines = log.lines().toList();
                assertThat(lines).as("log lines").hasSizeGreaterThan(5);
                List<JsonNode> events = new ArrayList<>();
                for (String line : lines) {
                    assertThat(line).as("every line is one JSON object").startsWith("{").endsWith("}");
                    JsonNode event = JSON.readTree(line);
                    assertThat(event.isObject()).isTrue();
                    for (String field : List.of("timestamp", "level", "logger", "thread", "message")) {
                        assertThat(event.hasNonNull(field)).as("%s in %s", field, line).isTrue();
                    }
                    assertThat(event.get("timestamp").asText()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
                    events.add(event);
                }
                assertThat(events).as("shard work carries its shard id")
                        .anyMatch(e -> e.path("shardId").asText().startsWith("shardId-")
                                && e.get("message").asText().startsWith("lease taken at"));
                assertThat(events).as("the stop summary is a log line too")
                        .anyMatch(e -> e.get("message").asText().startsWith("lakehose stopped: records=22 "));
                assertThat(log).as("payload in the log").doesNotContain(sentinel);
                assertThat(log).as("credentials in the log").doesNotContain(EmulatorAccess.SECRET_KEY);
            }
        }
    }
}
