package io.lakehose.backfill;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A backfill's row files committed to the change-log tables through the tables' own committer
 * (docs/design.md, "Tables (Apache Iceberg)"). Each unit is a writer of its own, {@code
 * snapshot-<run>-<unit>}, whose positions are its file numbers (file n is position n + 1): the
 * table's snapshots carry its watermark like a shard's, so a unit resumed after a kill between a
 * commit and the saved progress finds its file already in the table and adds it no second time.
 */
final class TableRowFiles implements RowFiles {

    private final LakeCommitter tables;
    private final Map<String, ShardCommitter> writers = new ConcurrentHashMap<>();

    TableRowFiles(LakeCommitter tables) {
        this.tables = tables;
    }

    @Override
    public void store(String writer, String directory, int index, Path parquet, String key, String contentType,
                      long rows) throws IOException {
        ShardCommitter unit = writers.computeIfAbsent(writer, w -> tables.openShard(w, true));
        SequenceNumber position = SequenceNumber.of(index + 1L);
        try {
            var committed = unit.commit(new SealedFile(parquet, directory, ".parquet", contentType, Files.size(parquet),
                    rows, position, position, 0));
            unit.sealed(position);
            unit.flush().get();
            committed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while committing " + key + " to its table");
        } catch (ExecutionException e) {
            throw new IOException("commit of " + key + " to its table failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            Files.deleteIfExists(parquet);
        }
    }

    @Override
    public void close() {
        tables.close();
    }
}
