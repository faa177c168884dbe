package io.lakehose.encode;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.decode.SequenceNumber;
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
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trims a Parquet spool file by reading its rows back and writing those after the mark to a new
 * file with the same schema and settings. A rare path: it runs only when two writers of one shard
 * raced for the same object (docs/design.md, "The fence for folders").
 *
 * <p>Read row group by row group with parquet-hadoop's file reader and parquet-avro's
 * materializer, through {@link HadoopFreeReadOptions} and our own codecs: the service jar has no
 * Hadoop, which {@code AvroParquetReader} would load.
 */
public final class ParquetTrimmer implements FileTrimmer {

    private final ParquetSettings settings;

    public ParquetTrimmer(ParquetSettings settings) {
        this.settings = settings;
    }

    @Override
    public Optional<SealedFile> rowsAfter(SealedFile file, SequenceNumber mark) throws IOException {
        Path out = file.spoolFile().resolveSibling(file.spoolFile().getFileName() + ".after-" + mark + ".tmp");
        long[] kept = {0};
        SequenceNumber[] first = {null};
        ParquetFileWriter[] writer = {null};
        try {
            readRows(file.spoolFile(), (row, sequence) -> {
                if (sequence.compareTo(mark) <= 0) {
                    return;
                }
                if (writer[0] == null) {
                    writer[0] = new ParquetFileWriter(out, row.getSchema(), settings);
                    first[0] = sequence;
                }
                writer[0].write(row);
                kept[0]++;
            });
            if (writer[0] != null) {
                writer[0].close();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
        if (kept[0] == 0) {
            return Optional.empty();
        }
        return Optional.of(file.tail(out, Files.size(out), kept[0], first[0]));
    }

    @Override
    public List<SequenceNumber> positions(SealedFile file) throws IOException {
        List<SequenceNumber> positions = new ArrayList<>();
        readRows(file.spoolFile(), (row, sequence) -> positions.add(sequence));
        return positions;
    }

    private interface RowConsumer {
        void accept(GenericRecord row, SequenceNumber sequence) throws IOException;
    }

    /** Every row of {@code file} in order, with its position. */
    private void readRows(Path file, RowConsumer consumer) throws IOException {
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        LibraryCodecFactory codecs = new LibraryCodecFactory(settings.zstdLevel());
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), HadoopFreeReadOptions.with(codecs))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            Map<String, String> footer = reader.getFooter().getFileMetaData().getKeyValueMetaData();
            AvroReadSupport<GenericRecord> support = new AvroReadSupport<>(GenericData.get());
            ReadSupport.ReadContext context = support.init(new InitContext(conf, Map.of(), schema));
            RecordMaterializer<GenericRecord> rows = support.prepareForRead(conf, footer, schema, context);
            MessageColumnIO columns = new ColumnIOFactory().getColumnIO(context.getRequestedSchema(), schema);
            for (PageReadStore group; (group = reader.readNextRowGroup()) != null; ) {
                RecordReader<GenericRecord> records = columns.getRecordReader(group, rows);
                for (long i = 0; i < group.getRowCount(); i++) {
                    GenericRecord row = records.read();
                    consumer.accept(row, new SequenceNumber(row.get(EnvelopeSchema.SEQUENCE_NUMBER).toString(),
                            (Long) row.get(EnvelopeSchema.SUB_SEQUENCE_NUMBER)));
                }
            }
        } finally {
            codecs.release();
        }
    }
}
