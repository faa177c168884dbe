package io.lakehose.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error output holds item data by design (raw_data is the record as it came); tables listed in
 * lake.errorOmitRawData keep only the reason and position in their error lines.
 */
class ErrorRawDataTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void errorLinesOfTheListedTablesHaveNoRawDataAndKeepTheirReason() throws Exception {
        Map<String, JsonNode> byTable = convertWith("orders");
        assertThat(byTable).containsOnlyKeys("orders", "customers", "unknown");
        JsonNode orders = byTable.get("orders");
        assertThat(orders.has("raw_data")).as(orders.toString()).isFalse();
        assertThat(orders.toString()).doesNotContain("secret-card-number");
        assertThat(orders.path("error_code").asText()).isEqualTo("invalid_attribute_value");
        assertThat(orders.path("error_message").asText()).isNotEmpty();
        assertThat(orders.path("sequence_number").asText()).isNotEmpty();
        assertThat(byTable.get("customers").has("raw_data")).as("a table not listed keeps it").isTrue();
        assertThat(byTable.get("unknown").has("raw_data")).as("unreadable records count as lake.table's").isTrue();
    }

    @Test
    void anAsteriskDropsRawDataFromEveryErrorLineEvenOfUnreadableRecords() throws Exception {
        Map<String, JsonNode> byTable = convertWith("*");
        assertThat(byTable).containsOnlyKeys("orders", "customers", "unknown");
        assertThat(byTable.values()).allSatisfy(line -> assertThat(line.has("raw_data")).as(line.toString()).isFalse());
    }

    /** Converts one bad record of orders, one of customers and one unreadable line; the error line of each table. */
    private Map<String, JsonNode> convertWith(String omit) throws Exception {
        Path input = Files.writeString(dir.resolve("changes.jsonl"), String.join("\n",
                badNumber("orders", "secret-card-number"), badNumber("customers", "x"), "not json at all") + "\n");
        Path config = Files.writeString(dir.resolve("lakehose.yaml"), "lake:\n  errorOmitRawData: \"" + omit + "\"\n");
        Path output = dir.resolve("lake-" + (omit.equals("*") ? "all" : omit));
        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", output.toString(),
                "--config", config.toString());
        assertThat(run.exit).as(run.toString()).isZero();
        Map<String, JsonNode> byTable = new TreeMap<>();
        try (Stream<Path> files = Files.walk(output.resolve("errors"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                String table = f.toString().replaceAll(".*/table=([^/]+)/.*", "$1");
                List<String> lines = new ArrayList<>(Files.readAllLines(f));
                assertThat(lines).hasSize(1);
                byTable.put(table, JSON.readTree(lines.get(0)));
            }
        }
        return byTable;
    }

    private static String badNumber(String table, String secret) {
        return "{\"awsRegion\": \"us-east-1\", \"eventID\": \"e-" + table + "\", \"eventName\": \"INSERT\", "
                + "\"tableName\": \"" + table + "\", \"dynamodb\": {\"ApproximateCreationDateTime\": 1732525080123, "
                + "\"ApproximateCreationDateTimePrecision\": \"MILLISECOND\", \"Keys\": {\"pk\": {\"S\": \"" + secret + "\"}}, "
                + "\"NewImage\": {\"pk\": {\"S\": \"" + secret + "\"}, \"n\": {\"N\": \"not-a-number\"}}, "
                + "\"SizeBytes\": 10}, \"eventSource\": \"aws:dynamodb\"}";
    }
}
