package io.lakehose.audit;

import io.lakehose.decode.SequenceNumber;

/** One object of a shard in the lake and the range of the shard's records it holds. */
public record StoredObject(String key, String directory, String shardId, SequenceNumber first, SequenceNumber last) {
}
