package io.lakehose.maintain;

import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.encode.ParquetRows;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Table;

import java.io.IOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rows position deletes remove from some data files (docs/design.md, "Tables",
 * "Maintenance"): per data file, the deleted positions, read from Parquet position-delete files
 * (the current-state table's). Rows of other data files in the same delete files are ignored.
 */
final class PositionDeletes {

    private static final String FILE_PATH = MetadataColumns.DELETE_FILE_PATH.name();
    private static final String POS = MetadataColumns.DELETE_FILE_POS.name();
    private static final BitSet NONE = new BitSet();

    private final Map<String, BitSet> byFile = new HashMap<>();

    /** Whether compaction can apply {@code d}: a Parquet position-delete file (not an equality delete, not a deletion vector). */
    static boolean readable(DeleteFile d) {
        return d.content() == FileContent.POSITION_DELETES && d.format() == FileFormat.PARQUET;
    }

    /** Reads {@code d}'s rows that delete from one of {@code dataFiles}. */
    void read(Table table, DeleteFile d, Set<String> dataFiles) throws IOException {
        if (!readable(d)) {
            throw new IllegalArgumentException("not a Parquet position-delete file: " + d.location());
        }
        ParquetRows.forEach(IcebergParquetFiles.in(table.io().newInputFile(d.location(), d.fileSizeInBytes())),
                Optional.of(Set.of(FILE_PATH, POS)), row -> {
                    String file = row.get(FILE_PATH).toString();
                    if (dataFiles.contains(file)) {
                        byFile.computeIfAbsent(file, f -> new BitSet()).set(Math.toIntExact((Long) row.get(POS)));
                    }
                });
    }

    /** The deleted positions of {@code f} (none: empty). */
    BitSet of(DataFile f) {
        return byFile.getOrDefault(f.location(), NONE);
    }

    /** How many of {@code f}'s rows are deleted. */
    long count(DataFile f) {
        BitSet deleted = of(f);
        return deleted.get(0, Math.toIntExact(Math.min(f.recordCount(), Integer.MAX_VALUE))).cardinality();
    }
}
