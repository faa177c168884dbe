package io.lakehose.encode;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter.Mode;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One Parquet file being written to the local spool. Rows go in, {@link #close()} finishes the
 * footer. Not thread-safe.
 */
public final class ParquetFileWriter implements AutoCloseable {

    /** Columns that are nearly unique per row: a dictionary would be built and then abandoned. */
    private static final Set<String> NO_DICTIONARY = Set.of(
            EnvelopeSchema.EVENT_ID, EnvelopeSchema.KEYS, EnvelopeSchema.NEW_IMAGE, EnvelopeSchema.OLD_IMAGE,
            EnvelopeSchema.SEQUENCE_NUMBER, EnvelopeSchema.EVENT_TIME, EnvelopeSchema.ARRIVAL_TIME);

    /**
     * Columns whose min/max statistics prune nothing (JSON documents, random UUIDs): computing
     * them compares every value with the running min and max.
     */
    private static final Set<String> NO_STATISTICS = Set.of(
            EnvelopeSchema.EVENT_ID, EnvelopeSchema.KEYS, EnvelopeSchema.NEW_IMAGE, EnvelopeSchema.OLD_IMAGE);

    private final SpoolOutputFile file;
    private final ParquetWriter<GenericRecord> writer;
    private final Path path;

    public ParquetFileWriter(Path path, Schema schema, ParquetSettings settings) throws IOException {
        this(path, schema, settings, UnaryOperator.identity());
    }

    /**
     * @param withIds annotates the file's Parquet schema (the one parquet-avro derives from
     *                {@code schema}) with field ids: a table's, see {@link io.lakehose.commit.ColumnIds};
     *                table maintenance's, docs/design.md "Tables". The columns' shape must stay.
     */
    public ParquetFileWriter(Path path, Schema schema, ParquetSettings settings, UnaryOperator<MessageType> withIds)
            throws IOException {
        this.path = path;
        this.file = new SpoolOutputFile(path);
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        // Three-level LIST structure: what Athena, Spark and DuckDB expect from list columns.
        conf.set(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, "false");
        AvroParquetBuilder b = new AvroParquetBuilder(file, schema, withIds)
                .withConf(conf)
                .withCodecFactory(new LibraryCodecFactory(settings.zstdLevel()))
                .withCompressionCodec(settings.compression().parquetName())
                .withRowGroupSize(settings.rowGroupBytes())
                .withPageSize(settings.pageBytes())
                .withDictionaryEncoding(true)
                .withWriteMode(Mode.OVERWRITE);
        for (String column : NO_DICTIONARY) {
            if (schema.getField(column) != null) {
                b = b.withDictionaryEncoding(column, false);
            }
        }
        for (String column : NO_STATISTICS) {
            if (schema.getField(column) != null) {
                b = b.withStatisticsEnabled(column, false);
            }
        }
        this.writer = b.build();
    }

    public void write(GenericRecord row) throws IOException {
        writer.write(row);
    }

    /** Encoded size so far: bytes on disk plus the row group being assembled in memory. */
    public long dataSize() {
        return writer.getDataSize();
    }

    /** Heap held by the open row group (what the global memory cap counts). */
    public long inMemoryBytes() {
        return Math.max(0, writer.getDataSize() - file.bytesOnDisk());
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
