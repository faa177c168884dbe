package io.lakehose.encode;

import io.lakehose.decode.ChangeRecord;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Turns a decoded change into one Avro row of {@link #schema()}. Implementations must never
 * drop data: whatever does not fit a typed column goes to a JSON column (and is reported to the
 * {@link DriftListener}). Not required to be thread-safe.
 */
public interface RowEncoder {

    Schema schema();

    GenericRecord encode(ChangeRecord change);
}
