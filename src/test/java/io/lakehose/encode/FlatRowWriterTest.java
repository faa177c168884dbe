package io.lakehose.encode;

import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter.Mode;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FlatRowWriter} must write what parquet-avro writes: the same rows through both, file
 * bytes compared (schema, footer, pages, statistics, dictionaries).
 */
class FlatRowWriterTest {

    @TempDir
    Path tmp;

    @Test
    void envelopeRowsGiveTheSameFileAsParquetAvro() throws IOException {
        List<GenericRecord> rows = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            GenericData.Record r = new GenericData.Record(EnvelopeSchema.SCHEMA);
            r.put(EnvelopeSchema.EVENT_ID, new Utf8("id-" + i));
            r.put(EnvelopeSchema.EVENT_NAME, i % 3 == 0 ? "INSERT" : new Utf8("MODIFY")); // String and Utf8
            r.put(EnvelopeSchema.TABLE_NAME, new Utf8("orders"));
            r.put(EnvelopeSchema.AWS_REGION, i % 5 == 0 ? null : new Utf8("eu-west-1"));
            r.put(EnvelopeSchema.EVENT_TIME, 1_700_000_000_000_000L + i);
            r.put(EnvelopeSchema.USER_IDENTITY, i % 7 == 0 ? new Utf8("dynamodb.amazonaws.com") : null);
            r.put(EnvelopeSchema.KEYS, new Utf8("{\"pk\":\"" + i + "\"}"));
            r.put(EnvelopeSchema.NEW_IMAGE, i % 4 == 0 ? null : new Utf8("{\"pk\":\"" + i + "\",\"s\":\"é😀\"}"));
            r.put(EnvelopeSchema.OLD_IMAGE, null);
            r.put(EnvelopeSchema.SIZE_BYTES, i % 2 == 0 ? null : (long) i);
            r.put(EnvelopeSchema.SHARD_ID, new Utf8("shardId-000000000001"));
            r.put(EnvelopeSchema.SEQUENCE_NUMBER, new Utf8(String.format("%056d", i)));
            r.put(EnvelopeSchema.SUB_SEQUENCE_NUMBER, 0L);
            r.put(EnvelopeSchema.ARRIVAL_TIME, 1_700_000_000_500_000L + i);
            rows.add(r);
        }
        assertThat(FlatRowWriter.forSchema(EnvelopeSchema.SCHEMA)).isPresent();
        assertThat(Files.readAllBytes(write(EnvelopeSchema.SCHEMA, rows, true)))
                .isEqualTo(Files.readAllBytes(write(EnvelopeSchema.SCHEMA, rows, false)));
    }

    @Test
    void everyFlatKindGivesTheSameFileAsParquetAvro() throws IOException {
        Schema schema = SchemaBuilder.record("typed").fields()
                .requiredInt("i").optionalInt("oi").requiredDouble("d").optionalFloat("f")
                .requiredBoolean("b").optionalBoolean("ob").optionalString("s")
                .name("day").type(LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT))).noDefault()
                .endRecord();
        List<GenericRecord> rows = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            GenericData.Record r = new GenericData.Record(schema);
            r.put("i", i);
            r.put("oi", i % 3 == 0 ? null : -i);
            r.put("d", i / 7.0);
            r.put("f", i % 2 == 0 ? null : (float) i / 3);
            r.put("b", i % 2 == 0);
            r.put("ob", i % 5 == 0 ? null : Boolean.TRUE);
            r.put("s", i % 4 == 0 ? null : new StringBuilder("sb-").append(i)); // a CharSequence of another kind
            r.put("day", 19_000 + i);
            rows.add(r);
        }
        assertThat(FlatRowWriter.forSchema(schema)).isPresent();
        assertThat(Files.readAllBytes(write(schema, rows, true))).isEqualTo(Files.readAllBytes(write(schema, rows, false)));
    }

    @Test
    void otherSchemasAreLeftToParquetAvro() {
        Schema nested = SchemaBuilder.record("n").fields().name("tags").type().array().items().stringType().noDefault()
                .endRecord();
        Schema bytes = SchemaBuilder.record("b").fields().requiredBytes("raw").endRecord();
        Schema uuid = SchemaBuilder.record("u").fields()
                .name("id").type(LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING))).noDefault().endRecord();
        Schema union = SchemaBuilder.record("x").fields().name("v").type().unionOf().stringType().and().longType().endUnion()
                .noDefault().endRecord();
        for (Schema s : List.of(nested, bytes, uuid, union)) {
            assertThat(FlatRowWriter.forSchema(s)).as(s.toString()).isEmpty();
        }
    }

    @Test
    void aMissingRequiredValueFailsAsInParquetAvro() {
        GenericData.Record r = new GenericData.Record(EnvelopeSchema.SCHEMA);
        assertThatThrownBy(() -> write(EnvelopeSchema.SCHEMA, List.of(r), true))
                .hasMessage("Null-value for required field: " + EnvelopeSchema.EVENT_ID);
        assertThatThrownBy(() -> write(EnvelopeSchema.SCHEMA, List.of(r), false))
                .hasMessage("Null-value for required field: " + EnvelopeSchema.EVENT_ID);
    }

    private Path write(Schema schema, List<GenericRecord> rows, boolean flat) throws IOException {
        Path path = tmp.resolve((flat ? "flat-" : "avro-") + schema.getName() + ".parquet");
        AvroParquetBuilder b = new AvroParquetBuilder(new SpoolOutputFile(path), schema, UnaryOperator.identity())
                .withConf(new PlainParquetConfiguration())
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(true)
                .withPageSize(4096)
                .withWriteMode(Mode.OVERWRITE);
        if (flat) {
            b = b.withFlatRowWriter();
        }
        try (ParquetWriter<GenericRecord> w = b.build()) {
            for (GenericRecord r : rows) {
                w.write(r);
            }
        }
        return path;
    }
}
