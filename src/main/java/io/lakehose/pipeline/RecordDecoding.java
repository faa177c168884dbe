package io.lakehose.pipeline;

import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.ChangeRecordDecoder;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.SourceRecord;
import io.lakehose.partition.LakeLayout;
import io.lakehose.partition.Partitioner;

/**
 * Decode and partition of one record: the part of a pipeline's work that needs no shard state, so
 * {@code convert} can run it on any thread and hand the result to the pipeline that owns the
 * record's directory. Not thread-safe (the decoder reuses buffers): one per thread.
 */
final class RecordDecoding {

    /**
     * A record's outcome: exactly one of {@code change} and {@code error} is set, and
     * {@code directory} is where the record goes (its partition, or the error output's).
     */
    record Decoded(ChangeRecord change, DecodeException error, String directory) {
    }

    private final ChangeRecordDecoder decoder;
    private final Partitioner partitioner;
    private final LakeLayout layout;

    RecordDecoding(PipelineContext ctx) {
        this.decoder = new ChangeRecordDecoder(ctx.arrivalFromEventTime(), ctx.eventTimeBounds());
        this.partitioner = new Partitioner(ctx.layout());
        this.layout = ctx.layout();
    }

    Decoded decode(SourceRecord record) {
        try {
            ChangeRecord change = decoder.decode(record);
            return new Decoded(change, null, partitioner.directoryOf(change));
        } catch (DecodeException e) {
            return failed(record, e);
        }
    }

    /** {@code record} into the error output for {@code error}. */
    Decoded failed(SourceRecord record, DecodeException error) {
        return new Decoded(null, error, layout.errorDirectory(error.tableName(), error.code().code(),
                record.arrivalMicros()));
    }
}
