package io.lakehose.commit.folders;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the folder fence did, over all shards of the process (exported as metrics): races for a
 * key lost to another writer of the same shard, files cut down to the rows after another writer's
 * object, and files whose rows were all stored already.
 */
public final class FenceCounters {
    public final LongAdder racesLost = new LongAdder();
    public final LongAdder filesTrimmed = new LongAdder();
    public final LongAdder filesAlreadyStored = new LongAdder();
}
