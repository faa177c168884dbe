package io.lakehose.encode;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
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
 * parquet-avro's writer of {@link GenericRecord}s, with the file's schema passed through
 * {@code withIds} before it is written (field ids for Iceberg). The rows are written as
 * parquet-avro writes them: ids change no column's structure, name or position.
 */
public final class AvroParquetBuilder extends ParquetWriter.Builder<GenericRecord, AvroParquetBuilder> {

    private final Schema schema;
    private final UnaryOperator<MessageType> withIds;

    public AvroParquetBuilder(OutputFile file, Schema schema, UnaryOperator<MessageType> withIds) {
        super(file);
        this.schema = schema;
        this.withIds = withIds;
    }

    @Override
    protected AvroParquetBuilder self() {
        return this;
    }

    @Override
    protected WriteSupport<GenericRecord> getWriteSupport(ParquetConfiguration conf) {
        return new WithIds(new AvroWriteSupport<>(new AvroSchemaConverter(conf).convert(schema), schema,
                GenericData.get()), withIds);
    }

    @Override
    protected WriteSupport<GenericRecord> getWriteSupport(Configuration conf) {
        return new WithIds(new AvroWriteSupport<>(new AvroSchemaConverter(conf).convert(schema), schema,
                GenericData.get()), withIds);
    }

    private static final class WithIds extends WriteSupport<GenericRecord> {

        private final AvroWriteSupport<GenericRecord> rows;
        private final UnaryOperator<MessageType> withIds;

        WithIds(AvroWriteSupport<GenericRecord> rows, UnaryOperator<MessageType> withIds) {
            this.rows = rows;
            this.withIds = withIds;
        }

        @Override
        public WriteContext init(Configuration conf) {
            return withIds(rows.init(conf));
        }

        @Override
        public WriteContext init(ParquetConfiguration conf) {
            return withIds(rows.init(conf));
        }

        private WriteContext withIds(WriteContext written) {
            MessageType annotated = withIds.apply(written.getSchema());
            // Rows are written by column position: ids may be added, the columns must stay as they are.
            if (!annotated.getColumns().equals(written.getSchema().getColumns())) {
                throw new IllegalArgumentException("field ids may not change a file's columns: " + annotated);
            }
            return new WriteContext(annotated, written.getExtraMetaData());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            rows.prepareForWrite(recordConsumer);
        }

        @Override
        public void write(GenericRecord row) {
            rows.write(row);
        }

        @Override
        public String getName() {
            return rows.getName();
        }

        @Override
        public FinalizedWriteContext finalizeWrite() {
            return rows.finalizeWrite();
        }
    }
}
