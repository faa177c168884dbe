package io.lakehose.testing;

import io.lakehose.checkpoint.Checkpointer;
import io.lakehose.decode.SequenceNumber;
import java.util.List;

/** A lease's checkpointer that only writes down where it was told to checkpoint, in order ("SHARD_END" for a shard's end). */
public final class RecordingCheckpointer implements Checkpointer {
    private final List<String> positions;

    public RecordingCheckpointer(List<String> positions) {
        this.positions = positions;
    }

    @Override
    public void checkpoint(SequenceNumber position) {
        positions.add(position.toString());
    }

    @Override
    public void checkpointShardEnd() {
        positions.add("SHARD_END");
    }
}
