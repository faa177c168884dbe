package io.lakehose.backfill;

import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A backfill's row files as objects of the folder layout, under their deterministic names. */
record FolderRowFiles(ObjectStore store) implements RowFiles {

    @Override
    public void store(String writer, String directory, int index, Path parquet, String key, String contentType,
                      long rows) throws IOException {
        put(store, parquet, key, contentType);
    }

    /** Puts the file and deletes it, whether the put succeeded or not (a failed unit starts its file again). */
    static void put(ObjectStore store, Path file, String key, String contentType) throws IOException {
        try {
            store.put(file, key, contentType).join();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public void close() {
        // the store is the caller's
    }
}
