package io.lakehose.encode;

import io.lakehose.buffer.SpoolWriter;
import io.lakehose.commit.ColumnIds;
import io.lakehose.decode.ChangeRecord;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The Parquet side of a buffer: rows of one table, encoded as they arrive, so a buffer holds
 * encoded bytes (a row group in memory, the rest on the spool disk), never a list of records.
 */
public final class ParquetSpoolWriter implements SpoolWriter<ChangeRecord> {

    private final RowEncoder encoder;
    private final ParquetFileWriter file;

    private ParquetSpoolWriter(Path spool, RowEncoder encoder, ParquetSettings settings, UnaryOperator<MessageType> withIds)
            throws IOException {
        this.encoder = encoder;
        this.file = new ParquetFileWriter(spool, encoder.schema(), settings, withIds);
    }

    /** A factory that picks the row encoder by the table of a file's first record. */
    public static Factory<ChangeRecord> factory(Function<String, RowEncoder> encoderForTable, ParquetSettings settings) {
        return factory(encoderForTable, settings, ColumnIds.NONE);
    }

    /** The same, with the field ids the lake's adapter wants in a table's files. */
    public static Factory<ChangeRecord> factory(Function<String, RowEncoder> encoderForTable, ParquetSettings settings,
                                                ColumnIds ids) {
        return (spool, first) -> new ParquetSpoolWriter(spool, encoderForTable.apply(first.tableName()), settings,
                ids.forTable(first.tableName()));
    }

    @Override
    public void append(ChangeRecord item) throws IOException {
        file.write(encoder.encode(item));
    }

    @Override
    public long dataSize() {
        return file.dataSize();
    }

    @Override
    public long inMemoryBytes() {
        return file.inMemoryBytes();
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public String extension() {
        return ".parquet";
    }

    @Override
    public String contentType() {
        return "application/vnd.apache.parquet";
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    @Override
    public void abort() {
        try {
            file.close();
        } catch (IOException | RuntimeException ignored) {
            // the file is being thrown away; only the spool space matters
        }
        try {
            Files.deleteIfExists(file.path());
        } catch (IOException ignored) {
            // best effort: a stray spool file is removed with the spool directory
        }
    }
}
