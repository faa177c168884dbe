package io.lakehose.encode;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.ChangeRecordDecoder;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Typed rows end to end: real DynamoDB stream JSON through the decoder, the typed encoder, the
 * Parquet writer, and back out through DuckDB, value by value.
 */
class TypedRowEncoderTest {

    private static final String TABLE = "people";
    private static final long EVENT_MILLIS = 1732521600123L;

    /** Every supported type, nested ones included. */
    private static final String SCHEMA = """
            {"type": "record", "name": "people", "namespace": "test", "fields": [
              {"name": "id", "type": "string"},
              {"name": "name", "type": ["null", "string"]},
              {"name": "big", "type": {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 2}},
              {"name": "small_fixed", "type": {"type": "fixed", "name": "dec20", "size": 9,
                                               "logicalType": "decimal", "precision": 20, "scale": 4}},
              {"name": "count", "type": "long"},
              {"name": "small", "type": "int"},
              {"name": "score", "type": "double"},
              {"name": "ratio", "type": "float"},
              {"name": "active", "type": "boolean"},
              {"name": "photo", "type": "bytes"},
              {"name": "tags", "type": {"type": "array", "items": "string"}},
              {"name": "numbers", "type": {"type": "array", "items": "long"}},
              {"name": "maybe", "type": {"type": "array", "items": ["null", "long"]}},
              {"name": "address", "type": {"type": "record", "name": "address", "fields": [
                {"name": "street", "type": "string"},
                {"name": "zip", "type": "int"},
                {"name": "geo", "type": {"type": "record", "name": "geo", "fields": [
                  {"name": "lat", "type": "double"},
                  {"name": "lon", "type": "double"}]}}]}},
              {"name": "labels", "type": {"type": "map", "values": "long"}},
              {"name": "seen_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}
            ]}
            """;

    private static final String BIG = "123456789012345678901234567890123456.78";

    /** Every attribute fits its column. */
    private static final String FITS = """
            {"id": {"S": "1"}, "name": {"S": "Adam"},
             "big": {"N": "%s"},
             "small_fixed": {"N": "1234567890123456.1234"},
             "count": {"N": "9223372036854775807"}, "small": {"N": "-2147483648"},
             "score": {"N": "3.141592653589793"}, "ratio": {"N": "0.5"},
             "active": {"BOOL": true}, "photo": {"B": "AAEC/w=="},
             "tags": {"SS": ["a", "b"]},
             "numbers": {"L": [{"N": "1"}, {"N": "2E+1"}]},
             "maybe": {"L": [{"N": "7"}, {"NULL": true}]},
             "address": {"M": {"street": {"S": "Main St"}, "zip": {"N": "12345"},
                               "geo": {"M": {"lat": {"N": "52.52"}, "lon": {"N": "13.405"}}}}},
             "labels": {"M": {"x": {"N": "1"}, "y": {"N": "-2"}}},
             "seen_at": {"N": "1732521600123"}}
            """.formatted(BIG);

    /** Attributes that do not fit, each for another reason, next to some that do. */
    private static final String DRIFTS = """
            {"id": {"S": "2"}, "name": {"NULL": true},
             "big": {"N": "1.234"},
             "count": {"N": "12.5"},
             "small": {"N": "2147483648"},
             "score": {"S": "high"},
             "nickname": {"S": "Al"},
             "huge": {"N": "12345678901234567890123456789012345678"},
             "tiny": {"N": "1E-130"},
             "tags": {"L": [{"S": "a"}, {"N": "1"}]},
             "address": {"M": {"street": {"S": "x"}, "zip": {"N": "1"}, "floor": {"N": "3"}}},
             "ratio": {"N": "1E+50"},
             "numbers": {"NS": ["1", "2.5"]},
             "photo": {"B": "AAEC/w=="},
             "labels": {"M": {"x": {"NULL": true}}},
             "maybe": {"NS": ["-0", "42"]},
             "active": {"BOOL": false}}
            """;

    private static final String DRIFT_JSON = "{\"big\":1.234,\"count\":12.5,\"small\":2147483648,\"score\":\"high\","
            + "\"nickname\":\"Al\",\"huge\":12345678901234567890123456789012345678,\"tiny\":1E-130,"
            + "\"tags\":[\"a\",1],\"address\":{\"street\":\"x\",\"zip\":1,\"floor\":3},\"ratio\":1E+50,"
            + "\"numbers\":[1,2.5],\"labels\":{\"x\":null}}";

    @TempDir
    Path dir;

    private final Map<String, Integer> driftCounts = new TreeMap<>();
    private TypedRowEncoder encoder;

    @BeforeEach
    void setUp() throws Exception {
        Path avsc = dir.resolve("people.avsc");
        Files.writeString(avsc, SCHEMA);
        encoder = new TypedRowEncoder(TypedSchema.load(TABLE, avsc),
                (table, attribute) -> driftCounts.merge(table + "/" + attribute, 1, Integer::sum));
    }

    @Test
    void everyTypeRoundTripsThroughParquetExactly() throws Exception {
        Path file = write(change(1, "INSERT", FITS, null));
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, big, small_fixed, count, small, score, ratio, active,"
                     + " hex(photo) AS photo, len(tags) AS n_tags, tags[1] AS tag1, tags[2] AS tag2,"
                     + " numbers[1] AS n1, numbers[2] AS n2, len(maybe) AS n_maybe, maybe[1] AS maybe1,"
                     + " maybe[2] IS NULL AS maybe2_null, address.street AS street, address.zip AS zip,"
                     + " address.geo.lat AS lat, address.geo.lon AS lon, cardinality(labels) AS n_labels,"
                     + " map_extract(labels, 'x')[1] AS label_x, map_extract(labels, 'y')[1] AS label_y,"
                     + " epoch_ms(seen_at) AS seen_ms, drift_attributes, epoch_us(event_time) AS event_us,"
                     + " event_id, event_name, keys, old_image, shard_id, sequence_number"
                     + " FROM " + parquet(file))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("id")).isEqualTo("1");
            assertThat(rs.getString("name")).isEqualTo("Adam");
            assertThat(rs.getBigDecimal("big")).isEqualTo(new BigDecimal(BIG));
            assertThat(rs.getBigDecimal("small_fixed")).isEqualTo(new BigDecimal("1234567890123456.1234"));
            assertThat(rs.getLong("count")).isEqualTo(Long.MAX_VALUE);
            assertThat(rs.getInt("small")).isEqualTo(Integer.MIN_VALUE);
            assertThat(rs.getDouble("score")).isEqualTo(3.141592653589793);
            assertThat(rs.getFloat("ratio")).isEqualTo(0.5f);
            assertThat(rs.getBoolean("active")).isTrue();
            assertThat(rs.getString("photo")).isEqualTo("000102FF");
            assertThat(rs.getInt("n_tags")).isEqualTo(2);
            assertThat(rs.getString("tag1")).isEqualTo("a");
            assertThat(rs.getString("tag2")).isEqualTo("b");
            assertThat(rs.getLong("n1")).isEqualTo(1);
            assertThat(rs.getLong("n2")).isEqualTo(20);
            assertThat(rs.getInt("n_maybe")).isEqualTo(2);
            assertThat(rs.getLong("maybe1")).isEqualTo(7);
            assertThat(rs.getBoolean("maybe2_null")).isTrue();
            assertThat(rs.getString("street")).isEqualTo("Main St");
            assertThat(rs.getInt("zip")).isEqualTo(12345);
            assertThat(rs.getDouble("lat")).isEqualTo(52.52);
            assertThat(rs.getDouble("lon")).isEqualTo(13.405);
            assertThat(rs.getInt("n_labels")).isEqualTo(2);
            assertThat(rs.getLong("label_x")).isEqualTo(1);
            assertThat(rs.getLong("label_y")).isEqualTo(-2);
            assertThat(rs.getLong("seen_ms")).isEqualTo(1732521600123L);
            assertThat(rs.getString("drift_attributes")).isNull();
            assertThat(rs.getLong("event_us")).isEqualTo(EVENT_MILLIS * 1000);
            assertThat(rs.getString("event_id")).isEqualTo("event-1");
            assertThat(rs.getString("event_name")).isEqualTo("INSERT");
            assertThat(rs.getString("keys")).isEqualTo("{\"id\":\"1\"}");
            assertThat(rs.getString("old_image")).isNull();
            assertThat(rs.getString("shard_id")).isEqualTo("local");
            assertThat(rs.getString("sequence_number")).isEqualTo("1");
            assertThat(rs.next()).isFalse();
        }
        assertThat(driftCounts).isEmpty();
    }

    @Test
    void attributesThatDoNotFitGoWholeToDriftAndAreCounted() throws Exception {
        Path file = write(change(1, "MODIFY", DRIFTS, "{\"id\": {\"S\": \"2\"}}"),
                change(2, "INSERT", "{\"id\": {\"S\": \"3\"}, \"nickname\": {\"S\": \"Bo\"}}", null));
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, big, count, small, score, tags, address, ratio,"
                     + " numbers, labels, hex(photo) AS photo, maybe::VARCHAR AS maybe, active, drift_attributes"
                     + " FROM " + parquet(file) + " ORDER BY id")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("id")).isEqualTo("2");
            // NULL is a value of every column, not drift.
            assertThat(rs.getString("name")).isNull();
            for (String drifted : List.of("big", "count", "small", "score", "tags", "address", "ratio", "numbers",
                    "labels")) {
                assertThat(rs.getObject(drifted)).as(drifted).isNull();
            }
            // Attributes of the same record that fit are still typed.
            assertThat(rs.getString("photo")).isEqualTo("000102FF");
            assertThat(rs.getString("maybe")).isEqualTo("[0, 42]");
            assertThat(rs.getBoolean("active")).isFalse();
            assertThat(rs.getString("drift_attributes")).isEqualTo(DRIFT_JSON);

            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("id")).isEqualTo("3");
            assertThat(rs.getString("drift_attributes")).isEqualTo("{\"nickname\":\"Bo\"}");
            assertThat(rs.next()).isFalse();
        }
        Map<String, Integer> expected = new TreeMap<>();
        for (String a : List.of("big", "count", "small", "score", "huge", "tiny", "tags", "address", "ratio",
                "numbers", "labels")) {
            expected.put(TABLE + "/" + a, 1);
        }
        expected.put(TABLE + "/nickname", 2);
        assertThat(driftCounts).isEqualTo(expected);
    }

    @Test
    void driftKeepsEveryValueExactlyAsTheEnvelopeWould() throws Exception {
        ChangeRecord c = change(1, "MODIFY", DRIFTS, null);
        GenericRecord row = encoder.encode(c);
        ObjectMapper exact = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        JsonNode drift = exact.readTree(row.get(TypedSchema.DRIFT_ATTRIBUTES).toString());
        JsonNode plainImage = exact.readTree(c.newImageJson());
        List<String> names = new ArrayList<>();
        drift.fieldNames().forEachRemaining(names::add);
        assertThat(names).hasSize(12);
        for (String name : names) {
            // The drift value is the very plain JSON the envelope's new_image holds.
            assertThat(drift.get(name)).as(name).isEqualTo(plainImage.get(name));
        }
        // Every attribute is either in a column or in drift: nothing dropped, nothing duplicated.
        plainImage.fieldNames().forEachRemaining(name -> {
            boolean typed = row.getSchema().getField(name) != null && row.get(name) != null;
            boolean isNull = plainImage.get(name).isNull();
            assertThat((typed ? 1 : 0) + (drift.has(name) ? 1 : 0) + (isNull ? 1 : 0)).as(name).isEqualTo(1);
        });
    }

    @Test
    void removeHasNullTypedColumnsAndKeepsTheOldImage() throws Exception {
        Path file = write(change(1, "REMOVE", null, "{\"id\": {\"S\": \"9\"}, \"big\": {\"N\": \"" + BIG + "\"}}"));
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM " + parquet(file))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("event_name")).isEqualTo("REMOVE");
            assertThat(rs.getString("keys")).isEqualTo("{\"id\":\"1\"}");
            assertThat(rs.getString("old_image")).isEqualTo("{\"id\":\"9\",\"big\":" + BIG + "}");
            for (String column : List.of("id", "name", "big", "small_fixed", "count", "small", "score", "ratio",
                    "active", "photo", "tags", "numbers", "maybe", "address", "labels", "seen_at",
                    "drift_attributes")) {
                assertThat(rs.getObject(column)).as(column).isNull();
            }
            assertThat(rs.next()).isFalse();
        }
        assertThat(driftCounts).isEmpty();
    }

    @Test
    void absentNestedAttributesAreNullAndNotDrift() throws Exception {
        Path file = write(change(1, "INSERT", """
                {"id": {"S": "4"}, "address": {"M": {"street": {"S": "Elm"}, "geo": {"NULL": true}}},
                 "numbers": {"NS": ["5", "6"]}, "tags": {"L": []}}
                """, null));
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT address.street AS street, address.zip IS NULL AS zip_null,"
                     + " address.geo IS NULL AS geo_null, numbers::VARCHAR AS numbers, len(tags) AS n_tags,"
                     + " name IS NULL AS name_null, drift_attributes FROM " + parquet(file))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("street")).isEqualTo("Elm");
            assertThat(rs.getBoolean("zip_null")).isTrue();
            assertThat(rs.getBoolean("geo_null")).isTrue();
            assertThat(rs.getString("numbers")).isEqualTo("[5, 6]");
            assertThat(rs.getInt("n_tags")).isZero();
            assertThat(rs.getBoolean("name_null")).isTrue();
            assertThat(rs.getString("drift_attributes")).isNull();
        }
        assertThat(driftCounts).isEmpty();
    }

    @Test
    void decimalsNeverRound() {
        // Fits decimal(38,2): fewer fraction digits are padded, trailing zeros are not rounding.
        assertThat(bigOf("1.5")).isEqualTo(new BigDecimal("1.50"));
        assertThat(bigOf("1.500")).isEqualTo(new BigDecimal("1.50"));
        assertThat(bigOf("-0")).isEqualTo(new BigDecimal("0.00"));
        assertThat(bigOf("1E+35")).isEqualTo(BigDecimal.TEN.pow(35).setScale(2));
        // Would need rounding, or more than 36 integer digits: drift, never a changed value.
        for (String n : List.of("1.505", "1E-130", "1E+36", "9.99E+125", "1234567890123456789012345678901234567")) {
            GenericRecord row = encoder.encode(change(1, "INSERT",
                    "{\"id\": {\"S\": \"1\"}, \"big\": {\"N\": \"" + n + "\"}}", null));
            assertThat(row.get("big")).as(n).isNull();
            assertThat(row.get(TypedSchema.DRIFT_ATTRIBUTES).toString()).as(n).isEqualTo("{\"big\":" + n + "}");
        }
        assertThat(driftCounts).containsEntry(TABLE + "/big", 5);
    }

    @Test
    void metadataColumnsAreTheEnvelopesExactly() {
        ChangeRecord c = change(7, "MODIFY", FITS, "{\"id\": {\"S\": \"1\"}, \"name\": {\"S\": \"Old\"}}");
        GenericRecord typed = encoder.encode(c);
        GenericRecord envelope = new EnvelopeRowEncoder().encode(c);
        for (String name : EnvelopeSchema.METADATA_FIELDS) {
            Schema.Field t = encoder.schema().getField(name);
            assertThat(t).as(name).isNotNull();
            assertThat(t.schema()).as(name).isEqualTo(EnvelopeSchema.SCHEMA.getField(name).schema());
            assertThat(String.valueOf(typed.get(name))).as(name).isEqualTo(String.valueOf(envelope.get(name)));
        }
        assertThat(encoder.schema().getField(EnvelopeSchema.NEW_IMAGE)).isNull();
        List<String> columns = encoder.schema().getFields().stream().map(Schema.Field::name).toList();
        assertThat(columns.subList(0, EnvelopeSchema.METADATA_FIELDS.size())).isEqualTo(EnvelopeSchema.METADATA_FIELDS);
        assertThat(columns.get(columns.size() - 1)).isEqualTo(TypedSchema.DRIFT_ATTRIBUTES);
        // Every attribute column is nullable even where the file says "string".
        assertThat(encoder.schema().getField("id").schema().isNullable()).isTrue();
    }

    @Test
    void parquetColumnTypesAreTheDeclaredOnes() throws Exception {
        Path file = write(change(1, "INSERT", FITS, null));
        Map<String, Map<String, String>> schema = new LinkedHashMap<>();
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT name, type, converted_type, scale, precision, logical_type"
                     + " FROM parquet_schema('" + file + "')")) {
            while (rs.next()) {
                Map<String, String> c = new LinkedHashMap<>();
                for (String k : List.of("type", "converted_type", "scale", "precision", "logical_type")) {
                    c.put(k, rs.getString(k));
                }
                schema.putIfAbsent(rs.getString("name"), c);
            }
        }
        assertThat(schema.get("big")).containsEntry("converted_type", "DECIMAL")
                .containsEntry("precision", "38").containsEntry("scale", "2");
        assertThat(schema.get("small_fixed")).containsEntry("type", "FIXED_LEN_BYTE_ARRAY")
                .containsEntry("converted_type", "DECIMAL").containsEntry("precision", "20")
                .containsEntry("scale", "4");
        for (String ts : List.of("event_time", "arrival_time")) {
            Map<String, String> c = schema.get(ts);
            assertThat(c.get("type")).as(ts).isEqualTo("INT64");
            assertThat(c.get("converted_type")).as(ts).isEqualTo("TIMESTAMP_MICROS");
            assertThat(c.get("logical_type")).as(ts)
                    .startsWith("TimestampType(isAdjustedToUTC=1").contains("MICROS=MicroSeconds()");
        }
        assertThat(schema.get("seen_at").get("converted_type")).isEqualTo("TIMESTAMP_MILLIS");
        assertThat(schema.get("seen_at").get("logical_type")).contains("MILLIS=MilliSeconds()");
        assertThat(schema.get("count")).containsEntry("type", "INT64");
        assertThat(schema.get("small")).containsEntry("type", "INT32");
        assertThat(schema.get("score")).containsEntry("type", "DOUBLE");
        assertThat(schema.get("ratio")).containsEntry("type", "FLOAT");
        assertThat(schema.get("active")).containsEntry("type", "BOOLEAN");
        assertThat(schema.get("drift_attributes")).containsEntry("converted_type", "UTF8");

        Map<String, String> types = new LinkedHashMap<>();
        try (Connection db = duckdb(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + parquet(file))) {
            while (rs.next()) {
                types.put(rs.getString("column_name"), rs.getString("column_type"));
            }
        }
        assertThat(types).containsEntry("big", "DECIMAL(38,2)")
                .containsEntry("small_fixed", "DECIMAL(20,4)")
                .containsEntry("tags", "VARCHAR[]")
                .containsEntry("numbers", "BIGINT[]")
                .containsEntry("address", "STRUCT(street VARCHAR, zip INTEGER, geo STRUCT(lat DOUBLE, lon DOUBLE))")
                .containsEntry("labels", "MAP(VARCHAR, BIGINT)")
                .containsEntry("photo", "BLOB");
    }

    private BigDecimal bigOf(String n) {
        GenericRecord row = encoder.encode(change(1, "INSERT", "{\"id\": {\"S\": \"1\"}, \"big\": {\"N\": \"" + n + "\"}}", null));
        assertThat(row.get(TypedSchema.DRIFT_ATTRIBUTES)).as(n).isNull();
        Schema big = encoder.schema().getField("big").schema().getTypes().get(1);
        return new Conversions.DecimalConversion()
                .fromBytes((ByteBuffer) row.get("big"), big, big.getLogicalType());
    }

    /** One stream record, through the real decoder. */
    static ChangeRecord change(long sequence, String eventName, String newImage, String oldImage) {
        StringBuilder json = new StringBuilder()
                .append("{\"awsRegion\": \"us-east-1\", \"eventID\": \"event-").append(sequence)
                .append("\", \"eventName\": \"").append(eventName)
                .append("\", \"userIdentity\": null, \"recordFormat\": \"application/json\", \"tableName\": \"")
                .append(TABLE).append("\", \"dynamodb\": {\"ApproximateCreationDateTime\": ").append(EVENT_MILLIS)
                .append(", \"ApproximateCreationDateTimePrecision\": \"MILLISECOND\", \"Keys\": {\"id\": {\"S\": \"1\"}}");
        if (newImage != null) {
            json.append(", \"NewImage\": ").append(newImage);
        }
        if (oldImage != null) {
            json.append(", \"OldImage\": ").append(oldImage);
        }
        json.append(", \"SizeBytes\": 94}, \"eventSource\": \"aws:dynamodb\"}");
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        try {
            return new ChangeRecordDecoder().decode(
                    SourceRecord.of("local", SequenceNumber.of(sequence), EVENT_MILLIS * 1000, bytes));
        } catch (Exception e) {
            throw new AssertionError("test record does not decode: " + json, e);
        }
    }

    private Path write(ChangeRecord... changes) throws Exception {
        Path file = dir.resolve("rows-" + System.nanoTime() + ".parquet");
        try (ParquetFileWriter w = new ParquetFileWriter(file, encoder.schema(), ParquetSettings.defaults())) {
            for (ChangeRecord c : changes) {
                w.write(encoder.encode(c));
            }
        }
        return file;
    }

    static Connection duckdb() throws Exception {
        return DriverManager.getConnection("jdbc:duckdb:");
    }

    static String parquet(Path file) {
        return "read_parquet('" + file.toString().replace("'", "''") + "')";
    }
}
