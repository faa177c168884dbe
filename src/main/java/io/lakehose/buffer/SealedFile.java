package io.lakehose.buffer;

import io.lakehose.decode.SequenceNumber;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A finished spool file and what it covers: ready to commit. {@code trackerId} is the id the
 * checkpoint tracker gave the file; committing it is what makes its records checkpointable (a
 * flush result carries what it makes safe). The committer names the object; {@code extension}
 * (".parquet", ".jsonl", ".jsonl.gz") ends that name.
 */
public record SealedFile(Path spoolFile, String directory, String extension, String contentType, long bytes, long records,
                         SequenceNumber first, SequenceNumber last, long trackerId) {

    /** Deletes the spool file if it is still there; a leftover is removed when the spool directory is cleaned at start. */
    public void deleteSpoolFile() {
        try {
            Files.deleteIfExists(spoolFile);
        } catch (IOException ignored) {
            // the spool directory is cleaned at start
        }
    }

    /** The same rows' tail in another spool file: {@code records} rows from {@code first} on. */
    public SealedFile tail(Path spool, long bytes, long records, SequenceNumber first) {
        return new SealedFile(spool, directory, extension, contentType, bytes, records, first, last, trackerId);
    }
}
