package io.lakehose.backfill;

import io.lakehose.config.ConfigException;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where a backfill unit's finished row files go, as {@code lake.format} says: objects of the folder
 * layout (their names deterministic, so a resumed unit replaces rather than duplicates), the
 * change-log tables (through the tables' committer, the unit a writer of its own, so a resumed
 * unit's file the table already holds is not committed again), or both.
 */
interface RowFiles extends AutoCloseable {

    /**
     * Stores file {@code index} of the unit {@code writer} ({@code snapshot-<run>-<unit>}): {@code rows}
     * rows in {@code parquet}, under {@code key} in the folder layout's {@code directory}. The spool
     * file is gone afterwards.
     */
    void store(String writer, String directory, int index, Path parquet, String key, String contentType, long rows)
            throws IOException;

    @Override
    void close();

    static RowFiles forLake(LakehoseConfig config, ObjectStore store) throws ConfigException {
        return switch (config.lake().format()) {
            case FOLDERS -> new FolderRowFiles(store);
            case ICEBERG -> new TableRowFiles(Pipelines.tables(config, store));
            case BOTH -> new BothRowFiles(new FolderRowFiles(store), new TableRowFiles(Pipelines.tables(config, store)));
        };
    }

    /** The folder layout and the tables each get the file: the tables a copy, since each deletes what it is given. */
    record BothRowFiles(FolderRowFiles folders, TableRowFiles tables) implements RowFiles {
        @Override
        public void store(String writer, String directory, int index, Path parquet, String key, String contentType,
                          long rows) throws IOException {
            Path copy = parquet.resolveSibling(parquet.getFileName() + ".table");
            Files.copy(parquet, copy, StandardCopyOption.REPLACE_EXISTING);
            tables.store(writer, directory, index, copy, key, contentType, rows);
            folders.store(writer, directory, index, parquet, key, contentType, rows);
        }

        @Override
        public void close() {
            tables.close();
        }
    }
}
