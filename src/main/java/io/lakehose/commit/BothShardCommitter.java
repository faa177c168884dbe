package io.lakehose.commit;

import io.lakehose.buffer.SealedFile;
import io.lakehose.decode.SequenceNumber;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** One shard's side of {@link BothCommitter}. */
final class BothShardCommitter implements ShardCommitter {

    private static final String DATA_EXTENSION = ".parquet";

    private final ShardCommitter folders;
    private final ShardCommitter tables;

    BothShardCommitter(ShardCommitter folders, ShardCommitter tables) {
        this.folders = folders;
        this.tables = tables;
    }

    @Override
    public boolean isCommitted(String directory, SequenceNumber sequence) {
        return folders.isCommitted(directory, sequence) && tables.isCommitted(directory, sequence);
    }

    @Override
    public CompletableFuture<Committed> commit(SealedFile file) throws InterruptedException {
        if (!file.extension().equals(DATA_EXTENSION)) {
            return folders.commit(file);
        }
        // Each adapter deletes its spool file when done with it: the tables get a hard link of their own.
        SealedFile forTables = linked(file);
        CompletableFuture<Committed> inTables = tables.commit(forTables);
        CompletableFuture<Committed> inFolders = folders.commit(file);
        return inFolders.thenCombine(inTables, (folder, table) -> folder);
    }

    private static SealedFile linked(SealedFile file) {
        Path link = file.spoolFile().resolveSibling(file.spoolFile().getFileName() + ".tables");
        try {
            Files.deleteIfExists(link);
            Files.createLink(link, file.spoolFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot link " + file.spoolFile() + " for the tables", e);
        }
        return new SealedFile(link, file.directory(), file.extension(), file.contentType(), file.bytes(),
                file.records(), file.first(), file.last(), file.trackerId());
    }

    @Override
    public boolean sealDue() {
        return folders.sealDue() || tables.sealDue();
    }

    @Override
    public void sealed(SequenceNumber position) {
        folders.sealed(position);
        tables.sealed(position);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return CompletableFuture.allOf(folders.flush(), tables.flush());
    }

    @Override
    public void abandon() {
        try {
            tables.abandon();
        } finally {
            folders.abandon();
        }
    }
}
