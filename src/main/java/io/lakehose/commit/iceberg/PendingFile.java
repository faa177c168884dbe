package io.lakehose.commit.iceberg;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.decode.SequenceNumber;
import org.apache.iceberg.DataFile;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A file handed over to the Iceberg adapter: its spool file, its upload, and the future the
 * pipeline waits on. An upload that failed, or that was deleted after a refused commit, is made
 * again by the commit thread from the spool file, cut to the rows after {@link #keepAfter}.
 */
final class PendingFile {

    private final String table;
    private final SealedFile spool;
    private final CompletableFuture<Committed> done = new CompletableFuture<>();
    /** Null: to upload (again). */
    private volatile CompletableFuture<DataFile> upload;
    private volatile Optional<SequenceNumber> keepAfter = Optional.empty();

    PendingFile(String table, SealedFile spool, CompletableFuture<DataFile> upload) {
        this.table = table;
        this.spool = spool;
        this.upload = upload;
    }

    String table() {
        return table;
    }

    SealedFile spool() {
        return spool;
    }

    CompletableFuture<Committed> done() {
        return done;
    }

    Optional<SequenceNumber> keepAfter() {
        return keepAfter;
    }

    /** True once its upload finished, well or not (a failed one is made again at commit). */
    boolean uploadSettled() {
        CompletableFuture<DataFile> u = upload;
        return u == null || u.isDone();
    }

    /** The uploaded data file, if the upload is done and went well. */
    Optional<DataFile> uploaded() {
        CompletableFuture<DataFile> u = upload;
        return u != null && u.isDone() && !u.isCompletedExceptionally() ? Optional.of(u.join()) : Optional.empty();
    }

    /** Runs {@code action} with the uploaded data file once (and if) the upload succeeds. */
    void whenUploaded(Consumer<DataFile> action) {
        CompletableFuture<DataFile> u = upload;
        if (u != null) {
            u.thenAccept(action);
        }
    }

    void uploadedAs(DataFile file) {
        upload = CompletableFuture.completedFuture(file);
    }

    /** Its upload was deleted (another writer got there first): upload again, only the rows after {@code mark}. */
    void reuploadAfter(Optional<SequenceNumber> mark) {
        upload = null;
        keepAfter = mark;
    }
}
