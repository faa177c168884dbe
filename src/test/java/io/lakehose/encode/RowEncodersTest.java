package io.lakehose.encode;

import io.lakehose.decode.ChangeRecordDecoder;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RowEncodersTest {

    private static final String VALID = """
            {"type": "record", "name": "orders", "fields": [
              {"name": "id", "type": "string"},
              {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}
            ]}
            """;

    @TempDir
    Path dir;

    @Test
    void missingFileNamesTableAndFile() {
        Path missing = dir.resolve("nope.avsc");
        SchemaConfigException e = loadFails(Map.of("orders", missing));
        assertThat(e.getMessage()).contains("'orders'").contains(missing.toString()).contains("does not exist");
    }

    @Test
    void invalidJsonNamesTableAndFile() throws Exception {
        Path file = schemaFile("broken.avsc", "{\"type\": \"record\", \"name\": \"x\", \"fields\": [");
        SchemaConfigException e = loadFails(Map.of("orders", file));
        assertThat(e.getMessage()).contains("'orders'").contains(file.toString()).contains("not a valid Avro schema");
    }

    @Test
    void schemaThatIsNotARecordIsRejected() throws Exception {
        Path file = schemaFile("string.avsc", "\"string\"");
        SchemaConfigException e = loadFails(Map.of("orders", file));
        assertThat(e.getMessage()).contains("'orders'").contains(file.toString()).contains("not a record");
    }

    @Test
    void fieldsClashingWithMetadataOrDriftColumnsAreRejected() throws Exception {
        Path file = schemaFile("clash.avsc", """
                {"type": "record", "name": "orders", "fields": [
                  {"name": "id", "type": "string"},
                  {"name": "event_time", "type": "long"},
                  {"name": "Keys", "type": "string"},
                  {"name": "drift_attributes", "type": "string"}
                ]}
                """);
        SchemaConfigException e = loadFails(Map.of("orders", file));
        assertThat(e.problems()).hasSize(3);
        assertThat(e.problems()).allSatisfy(p -> assertThat(p).contains("'orders'").contains(file.toString()));
        assertThat(e.problems().get(0)).contains("'event_time'").contains("metadata column");
        assertThat(e.problems().get(1)).contains("'Keys'").contains("metadata column 'keys'");
        assertThat(e.problems().get(2)).contains("'drift_attributes'").contains("drift column");
    }

    @Test
    void everyUnsupportedTypeIsReportedAtOnce() throws Exception {
        Path file = schemaFile("unsupported.avsc", """
                {"type": "record", "name": "orders", "fields": [
                  {"name": "status", "type": {"type": "enum", "name": "status", "symbols": ["A", "B"]}},
                  {"name": "either", "type": ["string", "long"]},
                  {"name": "raw", "type": {"type": "fixed", "name": "raw16", "size": 16}},
                  {"name": "wide", "type": {"type": "bytes", "logicalType": "decimal", "precision": 39, "scale": 0}},
                  {"name": "bad_scale", "type": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 6}},
                  {"name": "when", "type": {"type": "int", "logicalType": "date"}},
                  {"name": "node", "type": {"type": "record", "name": "node", "fields": [
                    {"name": "next", "type": ["null", "node"]}]}},
                  {"name": "empty", "type": {"type": "record", "name": "nothing", "fields": []}},
                  {"name": "Name", "type": "string"},
                  {"name": "name", "type": "string"},
                  {"name": "deep", "type": {"type": "array", "items": {"type": "map", "values": ["int", "string"]}}}
                ]}
                """);
        SchemaConfigException e = loadFails(Map.of("orders", file));
        assertThat(e.problems()).allSatisfy(p -> assertThat(p).contains("'orders'").contains(file.toString()));
        assertThat(e.getMessage())
                .contains("field 'status' is an enum")
                .contains("field 'either' is the union")
                .contains("field 'raw' is a fixed without logicalType decimal")
                .contains("field 'wide' is a decimal of precision 39")
                .contains("field 'bad_scale' has an invalid or unknown logicalType 'decimal'")
                .contains("field 'when' has logicalType 'date'")
                .contains("field 'node.next' uses record 'node' inside itself")
                .contains("field 'empty' is a record without fields")
                .contains("field 'name' differs only in case from field 'Name'")
                .contains("field 'deep[]{}' is the union");
        assertThat(e.problems()).hasSize(10);
    }

    @Test
    void problemsOfSeveralTablesAreReportedTogether() throws Exception {
        Path good = schemaFile("orders.avsc", VALID);
        Path bad = schemaFile("users.avsc", "[");
        SchemaConfigException e = loadFails(Map.of("orders", good, "users", bad, "items", dir.resolve("items.avsc")));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.problems().get(0)).startsWith("table 'items'").contains("items.avsc");
        assertThat(e.problems().get(1)).startsWith("table 'users'").contains(bad.toString());
    }

    @Test
    void tableWithoutSchemaGetsTheEnvelope() throws Exception {
        RowEncoders encoders = RowEncoders.load(Map.of("orders", schemaFile("orders.avsc", VALID)), DriftListener.NONE);
        assertThat(encoders.forTable("users")).isInstanceOf(EnvelopeRowEncoder.class);
        assertThat(encoders.schemaFor("users")).isEqualTo(EnvelopeSchema.SCHEMA);
        assertThat(RowEncoders.envelopeOnly().schemaFor("orders")).isEqualTo(EnvelopeSchema.SCHEMA);
        assertThat(RowEncoders.load(Map.of(), DriftListener.NONE).forTable("orders"))
                .isInstanceOf(EnvelopeRowEncoder.class);
    }

    @Test
    void tableWithSchemaGetsOneSharedTypedEncoder() throws Exception {
        RowEncoders encoders = RowEncoders.load(Map.of("orders", schemaFile("orders.avsc", VALID)), DriftListener.NONE);
        RowEncoder orders = encoders.forTable("orders");
        assertThat(orders).isInstanceOf(TypedRowEncoder.class).isSameAs(encoders.forTable("orders"));
        // Table names are exact, as DynamoDB's are.
        assertThat(encoders.forTable("Orders")).isInstanceOf(EnvelopeRowEncoder.class);
        assertThat(encoders.typedTables()).containsExactly("orders");
        Schema schema = encoders.schemaFor("orders");
        List<String> columns = new ArrayList<>(EnvelopeSchema.METADATA_FIELDS);
        columns.addAll(List.of("id", "total", TypedSchema.DRIFT_ATTRIBUTES));
        assertThat(schema.getFields().stream().map(Schema.Field::name)).containsExactlyElementsOf(columns);
    }

    /** The shipped example loads and types the example record of docs/design.md, "Input". */
    @Test
    void exampleSchemaTypesTheDesignExample() throws Exception {
        Path example = Path.of("config/schemas/example-ddb-table.avsc");
        List<String> drifted = new ArrayList<>();
        RowEncoders encoders = RowEncoders.load(Map.of("example-ddb-table", example),
                (table, attribute) -> drifted.add(table + "/" + attribute));
        String json = """
                {"awsRegion": "us-east-1", "eventID": "b8b1bf5a-6f2c-4a1e-9e6a-1c1a2b3c4d5e", "eventName": "MODIFY",
                 "userIdentity": null, "recordFormat": "application/json", "tableName": "example-ddb-table",
                 "dynamodb": {"ApproximateCreationDateTime": 1732521600123,
                   "ApproximateCreationDateTimePrecision": "MILLISECOND", "Keys": {"id": {"S": "864732"}},
                   "NewImage": {"id": {"S": "864732"}, "name": {"S": "Adam"}, "Designation": {"S": "Sr. Architect"},
                                "salary": {"N": "123456.78"}, "skills": {"SS": ["java", "aws"]},
                                "team": {"S": "platform"}},
                   "OldImage": {"id": {"S": "864732"}, "name": {"S": "Adam"}, "Designation": {"S": "Architect"}},
                   "SizeBytes": 94},
                 "eventSource": "aws:dynamodb"}
                """;
        var change = new ChangeRecordDecoder().decode(SourceRecord.of("local", SequenceNumber.of(1),
                1732521600123000L, json.getBytes(StandardCharsets.UTF_8)));
        RowEncoder encoder = encoders.forTable(change.tableName());
        Path file = dir.resolve("example.parquet");
        try (ParquetFileWriter w = new ParquetFileWriter(file, encoder.schema(), ParquetSettings.defaults())) {
            w.write(encoder.encode(change));
        }
        try (Connection db = TypedRowEncoderTest.duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, Designation, salary, skills::VARCHAR AS skills,"
                     + " old_image, drift_attributes FROM " + TypedRowEncoderTest.parquet(file))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("id")).isEqualTo("864732");
            assertThat(rs.getString("name")).isEqualTo("Adam");
            assertThat(rs.getString("Designation")).isEqualTo("Sr. Architect");
            assertThat(rs.getBigDecimal("salary")).isEqualTo(new BigDecimal("123456.78"));
            assertThat(rs.getString("skills")).isEqualTo("[java, aws]");
            assertThat(rs.getString("old_image"))
                    .isEqualTo("{\"id\":\"864732\",\"name\":\"Adam\",\"Designation\":\"Architect\"}");
            assertThat(rs.getString("drift_attributes")).isEqualTo("{\"team\":\"platform\"}");
        }
        assertThat(drifted).containsExactly("example-ddb-table/team");
    }

    private Path schemaFile(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private static SchemaConfigException loadFails(Map<String, Path> files) {
        SchemaConfigException e = catchThrowableOfType(SchemaConfigException.class,
                () -> RowEncoders.load(files, DriftListener.NONE));
        assertThat(e).as("load must fail").isNotNull();
        return e;
    }
}
