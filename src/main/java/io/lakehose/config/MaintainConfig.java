package io.lakehose.config;

import io.lakehose.commit.iceberg.IcebergCommitter;

import java.time.Duration;
import java.util.List;

import static io.lakehose.config.Parsers.bytesIn;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.longIn;

/**
 * Table maintenance (the maintain.* keys): what {@code lakehose maintain} does to each table, and
 * how often {@code run} does it (docs/design.md, "Tables", "Maintenance").
 *
 * @param interval        how often {@code run} maintains the tables; zero: never
 * @param targetFileBytes compaction writes files of about this size
 * @param minInputFiles   a partition is compacted once it has this many small files; a table's manifests
 *                        rewritten once it has this many small ones
 * @param expireAfter     snapshots older than this are expired ...
 * @param keepSnapshots   ... except the newest this many (and the newest that carries watermarks)
 * @param orphanMinAge    a file no snapshot references is deleted only when older than this
 */
public record MaintainConfig(Duration interval, long targetFileBytes, int minInputFiles, Duration expireAfter,
                             int keepSnapshots, Duration orphanMinAge) {

    private static final long MIB = 1024 * 1024;

    public static final ConfigKey<Long> INTERVAL_MINUTES = new ConfigKey<>("maintain.intervalMinutes", "0",
            longIn(0, 10_080), "How often `run` maintains the Iceberg tables (compaction, manifest rewrite, snapshot "
                    + "expiry, orphan cleanup, as `lakehose maintain` does); 0: never (run `lakehose maintain` on a schedule "
                    + "instead). Every worker does it; concurrent runs are safe, the loser's work is redone later.");
    public static final ConfigKey<Long> TARGET_FILE_SIZE = new ConfigKey<>("maintain.targetFileSize", "128MiB",
            bytesIn(MIB, 2048 * MIB), "Compaction rewrites the small data files of a partition (below three quarters "
                    + "of this) into files of about this size.");
    public static final ConfigKey<Integer> MIN_INPUT_FILES = new ConfigKey<>("maintain.minInputFiles", "5",
            intIn(2, 100_000), "A partition is compacted once it has at least this many small data files (or a "
                    + "file whose rows position deletes mostly removed); a table's data manifests are rewritten once it "
                    + "has this many small ones.");
    public static final ConfigKey<Long> EXPIRE_HOURS = new ConfigKey<>("maintain.expireSnapshotsAfterHours", "24",
            longIn(1, 87_600), "Snapshots older than this are expired (and the files only they reference deleted), "
                    + "by maintain and, hourly after a commit, by every worker; time travel reaches back this far. Must outlast a commit's retries (see orphanMinAgeHours).");
    public static final ConfigKey<Integer> KEEP_SNAPSHOTS = new ConfigKey<>("maintain.keepSnapshots", "10",
            intIn(1, 1_000_000), "Expiry keeps at least this many of the newest snapshots, and always the newest "
                    + "one that carries the shards' watermarks.");
    public static final ConfigKey<Long> ORPHAN_HOURS = new ConfigKey<>("maintain.orphanMinAgeHours", "24",
            longIn(1, 87_600), "A file under a table's location that no snapshot references is deleted once older "
                    + "than this. A worker's upload waits for its commit up to the commit interval plus the time its "
                    + "retries may take (ten commit intervals, at least two minutes): younger files may still be "
                    + "committed, so this must be longer than that, and the default is far longer.");

    static final Section<MaintainConfig> SECTION = new Section<>("maintain",
            List.of(INTERVAL_MINUTES, TARGET_FILE_SIZE, MIN_INPUT_FILES, EXPIRE_HOURS, KEEP_SNAPSHOTS, ORPHAN_HOURS), v -> {
                Duration commitInterval = Duration.ofSeconds(v.get(IcebergConfig.COMMIT_SECONDS));
                Duration window = commitWindow(commitInterval);
                for (ConfigKey<Long> key : List.of(EXPIRE_HOURS, ORPHAN_HOURS)) {
                    if (Duration.ofHours(v.get(key)).compareTo(window) <= 0) {
                        v.problem(key.path() + ": " + v.get(key) + " h is not longer than a commit may take with "
                                + "iceberg.commitIntervalSeconds " + commitInterval.toSeconds() + " (" + window.toMinutes()
                                + " min: the interval and its retries); a file or snapshot a commit still needs could go");
                    }
                }
                return new MaintainConfig(Duration.ofMinutes(v.get(INTERVAL_MINUTES)), v.get(TARGET_FILE_SIZE),
                        v.get(MIN_INPUT_FILES), Duration.ofHours(v.get(EXPIRE_HOURS)), v.get(KEEP_SNAPSHOTS),
                        Duration.ofHours(v.get(ORPHAN_HOURS)));
            });

    /**
     * The longest a worker's upload may wait for its snapshot: a commit interval, then retries for
     * up to the commit's give-up budget (docs/design.md, "Tables", "A failed commit").
     */
    public static Duration commitWindow(Duration commitInterval) {
        return commitInterval.plus(IcebergCommitter.giveUpAfter(commitInterval));
    }

    /** Whether {@code run} maintains the tables. */
    public boolean scheduled() {
        return !interval.isZero();
    }
}
