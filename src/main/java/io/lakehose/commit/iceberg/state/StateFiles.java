package io.lakehose.commit.iceberg.state;

import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.encode.AvroParquetBuilder;
import io.lakehose.encode.LibraryCodecFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileMetadata;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.types.Types;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter.Mode;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a current-state table's data and position-delete files through the table's FileIO
 * (docs/design.md, "Tables", current-state table): Parquet with the table's field ids, zstd, with
 * parquet-avro and no Hadoop, described with metrics from the written footer.
 */
final class StateFiles {

    private static final int ZSTD_LEVEL = 3;

    /** Iceberg's position-delete row: the data file's location and the row's position in it. */
    private static final Schema POSITION_DELETE = SchemaBuilder.record("position_delete").fields()
            .requiredString(MetadataColumns.DELETE_FILE_PATH.name())
            .requiredLong(MetadataColumns.DELETE_FILE_POS.name())
            .endRecord();
    private static final Types.StructType POSITION_DELETE_IDS = Types.StructType.of(
            MetadataColumns.DELETE_FILE_PATH, MetadataColumns.DELETE_FILE_POS);

    private StateFiles() {
    }

    /** A data file of {@code rows} (all of {@code schema}), in that order. */
    static DataFile writeData(Table table, Schema schema, List<GenericRecord> rows, String namePrefix) throws IOException {
        String location = table.locationProvider().newDataLocation(namePrefix + "-" + UUID.randomUUID() + ".parquet");
        Written w = write(table.io().newOutputFile(location), schema, table.schema().asStruct(), rows);
        Metrics metrics = ParquetUtil.footerMetrics(w.footer(), Stream.empty(), MetricsConfig.forTable(table));
        return DataFiles.builder(table.spec())
                .withPath(location)
                .withFormat(FileFormat.PARQUET)
                .withFileSizeInBytes(w.bytes())
                .withMetrics(metrics)
                .withSplitOffsets(w.footer().getBlocks().stream().map(BlockMetaData::getStartingPos).sorted().toList())
                .build();
    }

    /** A position-delete file of {@code rows}, sorted by file and position as the spec asks. */
    static DeleteFile writeDeletes(Table table, List<StateIndex.RowAt> rows, String namePrefix) throws IOException {
        String location = table.locationProvider().newDataLocation(namePrefix + "-deletes-" + UUID.randomUUID() + ".parquet");
        List<GenericRecord> sorted = rows.stream()
                .sorted(Comparator.comparing(StateIndex.RowAt::file).thenComparingLong(StateIndex.RowAt::position))
                .map(r -> {
                    GenericRecord g = new GenericData.Record(POSITION_DELETE);
                    g.put(0, r.file());
                    g.put(1, r.position());
                    return (GenericRecord) g;
                }).toList();
        Written w = write(table.io().newOutputFile(location), POSITION_DELETE, POSITION_DELETE_IDS, sorted);
        Metrics metrics = ParquetUtil.footerMetrics(w.footer(), Stream.empty(), MetricsConfig.forPositionDelete());
        FileMetadata.Builder b = FileMetadata.deleteFileBuilder(table.spec())
                .ofPositionDeletes()
                .withPath(location)
                .withFormat(FileFormat.PARQUET)
                .withFileSizeInBytes(w.bytes())
                .withMetrics(metrics);
        if (rows.stream().map(StateIndex.RowAt::file).distinct().count() == 1) {
            b.withReferencedDataFile(rows.get(0).file()); // lets planners skip it for every other file
        }
        return b.build();
    }

    private record Written(ParquetMetadata footer, long bytes) {
    }

    private static Written write(OutputFile out, Schema schema, Types.StructType ids, List<GenericRecord> rows) throws IOException {
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        conf.set(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, "false"); // three-level lists, as Iceberg writes them
        NameMapping byName = MappingUtil.create(new org.apache.iceberg.Schema(ids.fields()));
        LibraryCodecFactory codecs = new LibraryCodecFactory(ZSTD_LEVEL);
        ParquetWriter<GenericRecord> writer = new AvroParquetBuilder(IcebergParquetFiles.out(out), schema,
                parquet -> ParquetSchemaUtil.applyNameMapping(parquet, byName))
                .withConf(conf)
                .withCodecFactory(codecs)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withWriteMode(Mode.OVERWRITE)
                .build();
        try {
            for (GenericRecord row : rows) {
                writer.write(row);
            }
        } finally {
            writer.close();
            codecs.release();
        }
        return new Written(writer.getFooter(), out.toInputFile().getLength());
    }
}
