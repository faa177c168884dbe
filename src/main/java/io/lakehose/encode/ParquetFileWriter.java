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

    /**
     * No envelope column has a dictionary. Those nearly unique per row would build one and abandon
     * it; the others (event name, table, region, shard...) are a few values that zstd packs as
     * small without one (the same 13.2 MB for 100,000 records, README "Performance"), and a
     * dictionary costs 16 KiB of heap per column in every open file, whatever its rows.
     */
    private static final Set<String> NO_DICTIONARY = Set.of(
            EnvelopeSchema.EVENT_ID, EnvelopeSchema.KEYS, EnvelopeSchema.NEW_IMAGE, EnvelopeSchema.OLD_IMAGE,
            EnvelopeSchema.SEQUENCE_NUMBER, EnvelopeSchema.EVENT_TIME, EnvelopeSchema.ARRIVAL_TIME,
            EnvelopeSchema.EVENT_NAME, EnvelopeSchema.TABLE_NAME, EnvelopeSchema.AWS_REGION,
            EnvelopeSchema.USER_IDENTITY, EnvelopeSchema.SIZE_BYTES, EnvelopeSchema.SHARD_ID,
            EnvelopeSchema.SUB_SEQUENCE_NUMBER);

    /**
     * Columns whose min/max statistics prune nothing (JSON documents, random UUIDs): computing
     * them compares every value with the running min and max.
     */
    private static final Set<String> NO_STATISTICS = Set.of(
            EnvelopeSchema.EVENT_ID, EnvelopeSchema.KEYS, EnvelopeSchema.NEW_IMAGE, EnvelopeSchema.OLD_IMAGE);

    /**
     * Heap an open writer holds whatever its rows, measured with parquet 1.16 (class histograms of
     * a convert holding 4,000 envelope files of a few rows open: 72 KiB live each): per column
     * about 4 KiB of column writer, statistics, index builders and first slabs; per
     * dictionary-encoded column 16 KiB more (the dictionary's index list allocates a first slab of
     * 4,096 ints); the spool stream's 8 KiB buffer.
     */
    static final long HEAP_PER_COLUMN = 4_096;
    static final long HEAP_PER_DICTIONARY_COLUMN = 16_384;
    static final long HEAP_PER_FILE = 8_192;

    private final SpoolOutputFile file;
    private final ParquetWriter<GenericRecord> writer;
    private final Path path;
    private final long fixedHeapBytes;

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
        long dictionaryColumns = schema.getFields().stream().filter(f -> !NO_DICTIONARY.contains(f.name())).count();
        this.fixedHeapBytes = HEAP_PER_FILE + schema.getFields().size() * HEAP_PER_COLUMN
                + dictionaryColumns * HEAP_PER_DICTIONARY_COLUMN;
    }

    public void write(GenericRecord row) throws IOException {
        writer.write(row);
    }

    /** Encoded size so far: bytes on disk plus the row group being assembled in memory. */
    public long dataSize() {
        return writer.getDataSize();
    }

    /**
     * Heap held by the open writer (what the global memory cap counts): the row group being
     * assembled, and what the writer holds whatever its rows, which adds up when a batch holds
     * thousands of files open (top-level fields counted as one column each: an estimate).
     */
    public long inMemoryBytes() {
        return fixedHeapBytes + Math.max(0, writer.getDataSize() - file.bytesOnDisk());
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
