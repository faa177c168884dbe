package io.lakehose.encode;

import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.HadoopFreeReadOptions;
import org.apache.parquet.avro.AvroReadSupport;
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
import java.util.Map;
import java.util.Optional;

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

    /** Every row of {@code file}, in order. */
    public static void forEach(Path file, RowConsumer consumer) throws IOException {
        forEach(new LocalInputFile(file), consumer);
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
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        LibraryCodecFactory codecs = new LibraryCodecFactory(ANY_ZSTD_LEVEL);
        try (ParquetFileReader reader = ParquetFileReader.open(file, HadoopFreeReadOptions.with(codecs))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            Map<String, String> footer = reader.getFooter().getFileMetaData().getKeyValueMetaData();
            AvroReadSupport<GenericRecord> support = new AvroReadSupport<>(GenericData.get());
            ReadSupport.ReadContext context = support.init(new InitContext(conf, Map.of(), schema));
            RecordMaterializer<GenericRecord> rows = support.prepareForRead(conf, footer, schema, context);
            MessageColumnIO columns = new ColumnIOFactory().getColumnIO(context.getRequestedSchema(), schema);
            for (PageReadStore group; (group = reader.readNextRowGroup()) != null; ) {
                RecordReader<GenericRecord> records = columns.getRecordReader(group, rows);
                for (long i = 0; i < group.getRowCount(); i++) {
                    consumer.accept(records.read());
                }
            }
        } finally {
            codecs.release();
        }
    }
}
