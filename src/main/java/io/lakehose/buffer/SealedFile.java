package io.lakehose.buffer;

import io.lakehose.decode.SequenceNumber;

import java.nio.file.Path;

/**
 * A finished spool file and what it covers: ready to upload. {@code trackerId} is the id the
 * checkpoint tracker gave the file; completing its upload is what makes its records
 * checkpointable (a flush result carries what it makes safe).
 */
public record SealedFile(Path spoolFile, String directory, String objectKey, String contentType, long bytes, long records,
                         SequenceNumber first, SequenceNumber last, long trackerId) {
}
