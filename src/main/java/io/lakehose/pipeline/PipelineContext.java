package io.lakehose.pipeline;

import io.lakehose.buffer.BufferLimits;
import io.lakehose.buffer.MemoryBudget;
import io.lakehose.buffer.SpoolWriter;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.EventTimeBounds;
import io.lakehose.errorout.ErrorRecord;
import io.lakehose.partition.LakeLayout;

import java.nio.file.Path;

/**
 * What all shard pipelines of one process share: layout, limits, the global memory budget, the
 * committer (where finished files go) and the counters. {@code arrivalFromEventTime}: the input has no arrival time
 * ({@code convert}), so a record's event time stands in for it (docs/design.md, "Interfaces"). {@code dataWriters} is called once per shard, since row encoders
 * are per thread.
 */
public record PipelineContext(
        LakeLayout layout,
        SpoolWriter.Factory<ChangeRecord> dataWriters,
        SpoolWriter.Factory<ErrorRecord> errorWriters,
        BufferLimits limits,
        MemoryBudget memory,
        LakeCommitter committer,
        Path spoolDir,
        PipelineStats stats,
        boolean arrivalFromEventTime,
        EventTimeBounds eventTimeBounds) {

    /** The same context with other limits. */
    public PipelineContext withLimits(BufferLimits other) {
        return new PipelineContext(layout, dataWriters, errorWriters, other, memory, committer, spoolDir, stats,
                arrivalFromEventTime, eventTimeBounds);
    }
}
