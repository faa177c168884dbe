package io.lakehose.encode;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

import java.util.function.UnaryOperator;

/**
 * parquet-avro's writer with the footer's schema annotated (Iceberg field ids, for table
 * maintenance): the rows are written by parquet-avro as always, by column position, so an
 * annotation that keeps the schema's shape changes nothing else. Hadoop-free like
 * {@code AvroParquetWriter} with a {@link ParquetConfiguration}.
 */
final class AnnotatedSchemaWriter extends WriteSupport<GenericRecord> {

    private final WriteSupport<GenericRecord> avro;
    private final UnaryOperator<MessageType> annotate;

    private AnnotatedSchemaWriter(WriteSupport<GenericRecord> avro, UnaryOperator<MessageType> annotate) {
        this.avro = avro;
        this.annotate = annotate;
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
        WriteContext plain = avro.init(configuration);
        MessageType annotated = annotate.apply(plain.getSchema());
        if (!annotated.equals(plain.getSchema()) && !sameShape(annotated, plain.getSchema())) {
            throw new IllegalArgumentException("the annotated Parquet schema changes the columns: " + annotated);
        }
        return new WriteContext(annotated, plain.getExtraMetaData());
    }

    @Override
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
        throw new UnsupportedOperationException("written with a ParquetConfiguration only (no Hadoop in the service)");
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        avro.prepareForWrite(recordConsumer);
    }

    @Override
    public void write(GenericRecord record) {
        avro.write(record);
    }

    @Override
    public String getName() {
        return avro.getName();
    }

    @Override
    public FinalizedWriteContext finalizeWrite() {
        return avro.finalizeWrite();
    }

    /** Same columns, same types, same nesting: only ids (or other annotations) may differ. */
    private static boolean sameShape(MessageType a, MessageType b) {
        return a.getColumns().equals(b.getColumns());
    }

    /** The builder: {@code AvroParquetWriter.Builder}'s write support, wrapped. */
    static final class Builder extends ParquetWriter.Builder<GenericRecord, Builder> {

        private final Schema schema;
        private final UnaryOperator<MessageType> annotate;

        Builder(OutputFile file, Schema schema, UnaryOperator<MessageType> annotate) {
            super(file);
            this.schema = schema;
            this.annotate = annotate;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<GenericRecord> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            throw new UnsupportedOperationException("written with a ParquetConfiguration only (no Hadoop in the service)");
        }

        @Override
        protected WriteSupport<GenericRecord> getWriteSupport(ParquetConfiguration conf) {
            return new AnnotatedSchemaWriter(new AvroWriteSupport<>(new AvroSchemaConverter(conf).convert(schema), schema,
                    GenericData.get()), annotate);
        }
    }
}
