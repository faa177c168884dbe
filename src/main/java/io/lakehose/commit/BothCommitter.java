package io.lakehose.commit;

import io.micrometer.core.instrument.MeterRegistry;

import java.util.Optional;

/**
 * {@code lake.format: both} (docs/design.md, "Tables"): a migration from folders to tables, or a
 * time with both. Every data file goes to both adapters and counts as committed (its records
 * checkpointable) only when both committed it; error files go to the folder layout only. A
 * record is skipped on recovery only when both hold it; each adapter cuts what it already holds
 * itself, so neither stores a record twice when the other is behind.
 */
public final class BothCommitter implements LakeCommitter {

    private final LakeCommitter folders;
    private final LakeCommitter tables;

    public BothCommitter(LakeCommitter folders, LakeCommitter tables) {
        this.folders = folders;
        this.tables = tables;
    }

    @Override
    public ShardCommitter openShard(String shardId, boolean recover) {
        return new BothShardCommitter(folders.openShard(shardId, recover), tables.openShard(shardId, recover));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        folders.bindTo(registry);
        tables.bindTo(registry);
    }

    /** The tables' ids: a data file goes to both, and readers of the folders ignore ids. */
    @Override
    public ColumnIds columnIds() {
        return tables.columnIds();
    }

    @Override
    public Optional<String> health() {
        return folders.health().or(tables::health);
    }

    @Override
    public String describe() {
        return folders.describe() + " and " + tables.describe();
    }

    @Override
    public void close() {
        try {
            tables.close();
        } finally {
            folders.close();
        }
    }
}
