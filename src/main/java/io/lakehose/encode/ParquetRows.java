package io.lakehose.encode;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.HadoopFreeReadOptions;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the rows of a Parquet file lakehose wrote, in order, as Avro records (the envelope's or a
 * typed schema's columns). Row group by row group with parquet-hadoop's file reader and
 * parquet-avro's materializer, through {@link HadoopFreeReadOptions} and our own codecs: the
 * service jar has no Hadoop, which {@code AvroParquetReader} would load.
 */
public final class ParquetRows {

    /** The footer key under which parquet-avro records the Avro schema it wrote. */
    private static final String AVRO_SCHEMA = "parquet.avro.schema";
    /** Decompression does not use the level; any valid one will do. */
    private static final int ANY_ZSTD_LEVEL = 1;

    /** What is done with each row. */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(GenericRecord row) throws IOException;
    }

    private ParquetRows() {
    }

    /** The Parquet schema in {@code file}'s footer, with whatever field ids it was written with. */
    public static MessageType schema(Path file) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file),
                HadoopFreeReadOptions.with(new LibraryCodecFactory(ANY_ZSTD_LEVEL)))) {
            return reader.getFooter().getFileMetaData().getSchema();
        }
    }

    /** Every row of {@code file}, in order. */
    public static void forEach(Path file, RowConsumer consumer) throws IOException {
        forEach(new LocalInputFile(file), Optional.empty(), consumer);
    }

    /**
     * The Avro schema parquet-avro recorded in {@code file}'s footer (every file lakehose writes
     * has one; its rows are read back in it), if there is one.
     */
    public static Optional<String> avroSchema(InputFile file) throws IOException {
        LibraryCodecFactory codecs = new LibraryCodecFactory(ANY_ZSTD_LEVEL);
        try (ParquetFileReader reader = ParquetFileReader.open(file, HadoopFreeReadOptions.with(codecs))) {
            return Optional.ofNullable(reader.getFooter().getFileMetaData().getKeyValueMetaData().get(AVRO_SCHEMA));
        } finally {
            codecs.release();
        }
    }

    /** Every row of {@code file} (a local one, or one in a table's store), in order. */
    public static void forEach(InputFile file, RowConsumer consumer) throws IOException {
        forEach(file, Optional.empty(), consumer);
    }

    /**
     * Every row of {@code file}, in order; with {@code columns}, only those top-level columns are
     * read (their chunks alone are fetched) and the rows have only them.
     */
    public static void forEach(InputFile file, Optional<Set<String>> columns, RowConsumer consumer) throws IOException {
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        LibraryCodecFactory codecs = new LibraryCodecFactory(ANY_ZSTD_LEVEL);
        try (ParquetFileReader reader = ParquetFileReader.open(file, HadoopFreeReadOptions.with(codecs))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            Map<String, String> footer = reader.getFooter().getFileMetaData().getKeyValueMetaData();
            if (columns.isPresent()) {
                Schema full = footer.containsKey(AVRO_SCHEMA) ? new Schema.Parser().parse(footer.get(AVRO_SCHEMA))
                        : new AvroSchemaConverter(conf).convert(schema);
                conf.set(AvroReadSupport.AVRO_REQUESTED_PROJECTION, project(full, columns.get()).toString());
            }
            AvroReadSupport<GenericRecord> support = new AvroReadSupport<>(GenericData.get());
            ReadSupport.ReadContext context = support.init(new InitContext(conf, Map.of(), schema));
            reader.setRequestedSchema(context.getRequestedSchema());
            RecordMaterializer<GenericRecord> rows = support.prepareForRead(conf, footer, schema, context);
            MessageColumnIO columnIO = new ColumnIOFactory().getColumnIO(context.getRequestedSchema(), schema);
            for (PageReadStore group; (group = reader.readNextRowGroup()) != null; ) {
                RecordReader<GenericRecord> records = columnIO.getRecordReader(group, rows);
                for (long i = 0; i < group.getRowCount(); i++) {
                    consumer.accept(records.read());
                }
            }
        } finally {
            codecs.release();
        }
    }


    /** {@code full} with only its top-level fields named in {@code columns}. */
    private static Schema project(Schema full, Set<String> columns) {
        List<Schema.Field> kept = new ArrayList<>();
        for (Schema.Field f : full.getFields()) {
            if (columns.contains(f.name())) {
                kept.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(full.getName(), full.getDoc(), full.getNamespace(), false, kept);
    }
}
