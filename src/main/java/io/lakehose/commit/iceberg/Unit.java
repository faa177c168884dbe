package io.lakehose.commit.iceberg;

import io.lakehose.decode.SequenceNumber;

import java.util.List;

/**
 * What one shard finished at a barrier, for one commit: files covering every data record up to
 * {@code position} (of one table, once the committer split units by table), and how earlier
 * commits of them went.
 */
record Unit(IcebergShardCommitter shard, SequenceNumber position, List<PendingFile> files, Retry retry) {

    Unit(IcebergShardCommitter shard, SequenceNumber position, List<PendingFile> files) {
        this(shard, position, files, Retry.NONE);
    }

    Unit {
        files = List.copyOf(files);
    }

    Unit withFiles(List<PendingFile> kept) {
        return new Unit(shard, position, kept, retry);
    }

    Unit withRetry(Retry next) {
        return new Unit(shard, position, files, next);
    }
}
