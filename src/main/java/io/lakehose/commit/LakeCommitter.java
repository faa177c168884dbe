package io.lakehose.commit;

import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Optional;

/**
 * The commit protocol, as one port: how finished files become visible in the lake, what a
 * re-reading shard may skip, and so what may be checkpointed (docs/design.md, "Commit protocol").
 * The pipeline and the KCL adapter talk only to this interface; which layout is written
 * (folders today) is chosen where the committer is built.
 *
 * <p>Contract for every adapter:
 * <ul>
 *   <li>A file handed to {@link ShardCommitter#commit} is visible to readers of the lake once its
 *       future completes normally, and not before. The shard's records in it may be checkpointed
 *       from then on, never earlier.</li>
 *   <li>A future that completes exceptionally means that file will never become visible through
 *       this shard committer; the shard must not checkpoint past its records.</li>
 *   <li>Recovery ({@link ShardCommitter#isCommitted}) reads only what the adapter's fence protects,
 *       so a record reported committed is in the lake exactly once.</li>
 * </ul>
 *
 * <p>As a {@link MeterBinder} it registers the metrics of its own protocol (the folder fence's
 * races, for example).
 */
public interface LakeCommitter extends AutoCloseable, MeterBinder {

    /**
     * The committer of one shard, for one lease (or one {@code convert} worker).
     *
     * @param recover true when records may be re-read (the service: after a crash, a lease move or
     *                a replay), so the lake is asked what it already holds; false for a fresh
     *                output ({@code convert}), where nothing is skipped
     */
    ShardCommitter openShard(String shardId, boolean recover);

    /** The field ids this adapter's data files carry (Iceberg's); none by default. */
    default ColumnIds columnIds() {
        return ColumnIds.NONE;
    }

    /** Empty while commits make progress, else what is wrong (for /health). */
    Optional<String> health();

    /** A human-readable location of the lake, e.g. {@code s3://bucket} or a directory. */
    String describe();

    @Override
    void close();
}
