package io.lakehose.commit.iceberg;

import io.lakehose.buffer.SealedFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Puts one of the pipeline's Parquet files into a table's data location (through the table's
 * FileIO: S3FileIO with SSE-KMS in production) and describes it as an Iceberg {@link DataFile}:
 * its partition and column metrics come from its own footer, read from the local spool file
 * without Hadoop (parquet's readers would load it).
 */
public final class DataFileUpload {

    private static final int EVENT_TIME_ID = ChangeLogTables.SCHEMA.findField("event_time").fieldId();
    private static final long MICROS_PER_HOUR = 3_600_000_000L;

    private DataFileUpload() {
    }

    /** Uploads {@code file} under a new name in the table's data location and describes it. */
    static DataFile upload(DataFileTarget table, SealedFile file, String namePrefix) throws IOException {
        return upload(table, file.spoolFile(), namePrefix, "file of " + file.directory());
    }

    /**
     * Uploads a Parquet file the pipeline's writer made (of one partition's rows: table
     * maintenance's compacted files; of an unpartitioned table, the current-state table's) under a
     * new name in {@code table}'s data location and describes it.
     */
    public static DataFile upload(Table table, Path parquet, String namePrefix) throws IOException {
        return upload(DataFileTarget.of(table), parquet, namePrefix, "file " + parquet.getFileName());
    }

    private static DataFile upload(DataFileTarget table, Path parquet, String namePrefix, String what)
            throws IOException {
        ParquetMetadata footer = footer(parquet);
        Metrics metrics = ParquetUtil.footerMetrics(footer, Stream.empty(), table.metrics(), table.nameMapping());
        // The current-state table is unpartitioned (its compaction uploads through here too)
        PartitionData partition = table.spec().isUnpartitioned() ? null : partition(table, metrics, what);
        String name = namePrefix + "-" + UUID.randomUUID() + ".parquet";
        String location = partition == null ? table.locations().newDataLocation(name)
                : table.locations().newDataLocation(table.spec(), partition, name);
        OutputFile out = table.io().newOutputFile(location);
        try (InputStream in = Files.newInputStream(parquet); OutputStream os = out.createOrOverwrite()) {
            in.transferTo(os);
        } catch (IOException | RuntimeException e) {
            deleteFailedUpload(table, location, e);
            throw e;
        }
        return DataFiles.builder(table.spec())
                .withPath(location)
                .withFileSizeInBytes(Files.size(parquet))
                .withFormat(FileFormat.PARQUET)
                .withPartition(partition)
                .withMetrics(metrics)
                .withSplitOffsets(footer.getBlocks().stream().map(BlockMetaData::getStartingPos).sorted().toList())
                .build();
    }

    /**
     * An upload whose answer was lost may still have landed (a connection closed after the store
     * took the body); it is never committed, since the file goes again under a new name, so it
     * would stay behind as an orphan until maintenance's orphan clean-up. Deleted now where the
     * store answers; a failed delete is only noted on the upload's exception.
     */
    private static void deleteFailedUpload(DataFileTarget table, String location, Exception failure) {
        try {
            table.io().deleteFile(location);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The partition of the file's rows: day or hour of {@code event_time}, from the footer's
     * bounds. A file's rows are one hour of one table (the folder layout's partition), so one
     * partition; a layout without {date} or {hour} could mix them, which is refused here.
     */
    private static PartitionData partition(DataFileTarget table, Metrics metrics, String what) {
        Long low = Conversions.fromByteBuffer(Types.TimestampType.withZone(), metrics.lowerBounds().get(EVENT_TIME_ID));
        Long high = Conversions.fromByteBuffer(Types.TimestampType.withZone(), metrics.upperBounds().get(EVENT_TIME_ID));
        boolean hourly = table.spec().fields().get(0).transform().toString().equals("hour");
        long unit = hourly ? MICROS_PER_HOUR : 24 * MICROS_PER_HOUR;
        int first = (int) Math.floorDiv(low, unit);
        int last = (int) Math.floorDiv(high, unit);
        if (first != last) {
            throw new IllegalStateException(what + " holds event times of two "
                    + (hourly ? "hours" : "days") + "; for Iceberg, lake.pathTemplate must contain {hour} or {date}");
        }
        PartitionData partition = table.newPartition();
        partition.set(0, first);
        return partition;
    }

    /** The footer of a Parquet file: {@code ... | footer | footer length (4 bytes, LE) | "PAR1"}. */
    private static ParquetMetadata footer(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, tail, size - 8);
            if (tail.get(4) != 'P' || tail.get(5) != 'A' || tail.get(6) != 'R' || tail.get(7) != '1') {
                throw new IOException("not a Parquet file: " + file);
            }
            int length = tail.getInt(0);
            ByteBuffer footer = ByteBuffer.allocate(length);
            readFully(ch, footer, size - 8 - length);
            return new ParquetMetadataConverter().fromParquetMetadata(
                    Util.readFileMetaData(new ByteArrayInputStream(footer.array())));
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = ch.read(into, position + into.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }
}
