package io.lakehose.backfill;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps a backfill's {@link BackfillProgress} in the lake itself ({@code _lakehose/backfill/
 * <table>.json} under the lake prefix): durable wherever the lake is (a Fargate task has no
 * durable disk), and written with the same permissions and encryption as the lake. Saves are
 * serialized; the last one wins, and each holds every unit's position.
 */
final class ProgressStore {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final ObjectStore store;
    private final String key;
    private final Path spoolDir;
    private BackfillProgress current;

    ProgressStore(ObjectStore store, String key, Path spoolDir) {
        this.store = store;
        this.key = key;
        this.spoolDir = spoolDir;
    }

    String key() {
        return key;
    }

    Optional<BackfillProgress> load() {
        Optional<BackfillProgress> saved = store.read(key).map(bytes -> {
            try {
                return JSON.readValue(bytes, BackfillProgress.class);
            } catch (IOException e) {
                throw new IllegalStateException("the backfill progress " + store.describe() + "/" + key
                        + " is not readable (" + e.getMessage() + "); delete it to start over", e);
            }
        });
        saved.ifPresent(p -> current = p);
        return saved;
    }

    synchronized BackfillProgress current() {
        return current;
    }

    synchronized void save(BackfillProgress progress) {
        current = progress;
        write(progress);
    }

    /** Records a unit's new position (after its file is stored) and saves the whole progress. */
    synchronized BackfillProgress update(BackfillProgress.Unit unit) {
        current = current.with(unit);
        write(current);
        return current;
    }

    private void write(BackfillProgress progress) {
        try {
            Path file = Files.createTempFile(spoolDir, "progress-", ".json");
            Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(progress));
            try {
                store.put(file, key, "application/json").join();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the backfill progress " + key, e);
        }
    }
}
