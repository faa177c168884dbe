package io.lakehose.backfill;

import io.lakehose.buffer.SpoolWriter;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.errorout.ErrorRecord;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.ObjectStore;

import java.nio.file.Path;

/**
 * What every unit of one backfill shares: where files go and how they are written.
 *
 * @param table        the DynamoDB table being loaded (its error output takes the bad items)
 * @param directory    the partition directory of every row (all share the snapshot time)
 * @param maxFileBytes a unit's file is finished at the first page boundary past this size
 */
record BackfillContext(ObjectStore store, RowFiles rowFiles, LakeLayout layout, String table, String directory, String runId,
                       long snapshotMicros,
                       Path spoolDir, SpoolWriter.Factory<ChangeRecord> rowWriters,
                       SpoolWriter.Factory<ErrorRecord> errorWriters, long maxFileBytes, ProgressStore progress,
                       BackfillStats stats) {
}
