package io.lakehose.encode;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.decode.SequenceNumber;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trims a Parquet spool file by reading its rows back and writing those after the mark to a new
 * file with the same schema and settings. A rare path: it runs only when two writers of one shard
 * raced for the same object (docs/design.md, "The fence for folders").
 *
 * <p>Read through {@link ParquetRows}, without Hadoop.
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
        // The cut file keeps the original's field ids (a table's), as its structure is the same.
        MessageType written = ParquetRows.schema(file.spoolFile());
        try {
            readRows(file.spoolFile(), (row, sequence) -> {
                if (sequence.compareTo(mark) <= 0) {
                    return;
                }
                if (writer[0] == null) {
                    writer[0] = new ParquetFileWriter(out, row.getSchema(), settings, ignored -> written);
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
    private static void readRows(Path file, RowConsumer consumer) throws IOException {
        ParquetRows.forEach(file, row -> consumer.accept(row, new SequenceNumber(
                row.get(EnvelopeSchema.SEQUENCE_NUMBER).toString(), (Long) row.get(EnvelopeSchema.SUB_SEQUENCE_NUMBER))));
    }
}
