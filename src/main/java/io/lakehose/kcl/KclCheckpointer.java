package io.lakehose.kcl;

import io.lakehose.checkpoint.CheckpointException;
import io.lakehose.checkpoint.Checkpointer;
import io.lakehose.decode.SequenceNumber;
import software.amazon.kinesis.exceptions.KinesisClientLibDependencyException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.exceptions.ThrottlingException;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;

/** {@link Checkpointer} over KCL's lease-table checkpointer; maps KCL's exceptions to ours. */
final class KclCheckpointer implements Checkpointer {

    private final RecordProcessorCheckpointer kcl;

    KclCheckpointer(RecordProcessorCheckpointer kcl) {
        this.kcl = kcl;
    }

    @Override
    public void checkpoint(SequenceNumber position) throws CheckpointException {
        try {
            kcl.checkpoint(position.digits(), position.subSequence());
        } catch (ShutdownException e) {
            throw new CheckpointException("lease lost", true, e);
        } catch (ThrottlingException | KinesisClientLibDependencyException e) {
            throw new CheckpointException("lease table unavailable: " + e.getMessage(), false, e);
        } catch (Exception e) {
            throw new CheckpointException("checkpoint rejected: " + e.getMessage(), false, e);
        }
    }

    @Override
    public void checkpointShardEnd() throws CheckpointException {
        try {
            kcl.checkpoint();
        } catch (ShutdownException e) {
            throw new CheckpointException("lease lost", true, e);
        } catch (Exception e) {
            throw new CheckpointException("shard-end checkpoint failed: " + e.getMessage(), false, e);
        }
    }
}
