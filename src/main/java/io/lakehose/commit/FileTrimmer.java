package io.lakehose.commit;

import io.lakehose.buffer.SealedFile;
import io.lakehose.decode.SequenceNumber;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Cuts a finished file down to its rows after a position: what is left of it once another writer
 * of the same shard already stored the rows up to that position (docs/design.md, "The fence for
 * folders"), or by the audit's repair. Rows are kept in their order and exactly as they were
 * encoded.
 */
public interface FileTrimmer {

    /**
     * The rows of {@code file} whose sequence number is after {@code mark}, as a new spool file
     * beside it, or empty when no row is left. {@code file}'s own spool file is left as it is.
     */
    Optional<SealedFile> rowsAfter(SealedFile file, SequenceNumber mark) throws IOException;

    /** The position of every row of {@code file}, in the file's order (what the audit's repair compares). */
    List<SequenceNumber> positions(SealedFile file) throws IOException;
}
