package io.lakehose.commit.iceberg;

import io.lakehose.commit.CrashPoints;
import io.lakehose.decode.SequenceNumber;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.SnapshotUpdate;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.util.SnapshotUtil;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One fenced append to a change-log table (docs/design.md, "Tables").
 *
 * <p>Every snapshot lakehose commits carries, in its summary, the watermark of every shard of the
 * stream ({@value #PREFIX}{@code <shard>} = the position up to which the table holds every record
 * of that shard): this commit's shards' new values, and every other shard's value carried over
 * from the base, so the newest snapshot alone says where each shard stands.
 *
 * <p>The fence: Iceberg re-applies an append on a refreshed base after a concurrent commit, so a
 * stale writer's append would otherwise succeed and move a watermark backwards. A
 * {@link SnapshotAncestryValidator} runs on every attempt, after the refresh, and refuses unless
 * each shard's watermark in the base is the one this writer last saw (where it resumed, or its
 * own previous commit). The catalog's compare-and-swap then makes a commit that raced past the
 * check fail and retry, and the check runs again.
 */
public final class WatermarkFence {

    public static final String PREFIX = "lakehose.watermark.";
    /** Every summary key lakehose writes starts so. */
    private static final String LAKEHOSE_KEYS = "lakehose.";
    /** The id of the attempt that made a snapshot: how a writer finds out whether a commit of unknown outcome landed. */
    static final String ATTEMPT = "lakehose.commit-id";
    /** How far back {@link #landed} looks when the attempt's base snapshot is not among the ancestors. */
    private static final int MAX_LOOK_BACK = 1000;

    /** One shard's step: the watermark this writer last saw for it, and the new one. */
    record Advance(String shardId, Optional<SequenceNumber> from, SequenceNumber to) {
    }

    /** The result: committed, or refused with the base's watermarks of the shards that did not match. */
    record Outcome(boolean committed, Map<String, Optional<SequenceNumber>> refused) {
    }

    private WatermarkFence() {
    }

    /** The watermarks of the newest snapshot that has any (maintenance commits may carry none). */
    public static Map<String, SequenceNumber> watermarks(Iterable<Snapshot> newestFirst) {
        for (Snapshot s : newestFirst) {
            Map<String, SequenceNumber> found = new HashMap<>();
            s.summary().forEach((key, value) -> {
                if (key.startsWith(PREFIX)) {
                    found.put(key.substring(PREFIX.length()), SequenceNumber.parse(value));
                }
            });
            if (!found.isEmpty()) {
                return found;
            }
        }
        return Map.of();
    }

    /** The table's current watermarks (from its newest snapshot that carries them). */
    public static Map<String, SequenceNumber> current(Table table) {
        return watermarks(SnapshotUtil.currentAncestors(table));
    }

    /**
     * How many snapshots newer than the newest that carries watermarks the table has (-1: none
     * carries any): an expiry keeps at least one more than this, or the table would forget where
     * its shards stand and every writer's fence would refuse its next commit.
     */
    public static int depthOfNewestMarked(Table table) {
        int depth = 0;
        for (Snapshot s : SnapshotUtil.currentAncestors(table)) {
            if (s.summary().keySet().stream().anyMatch(k -> k.startsWith(PREFIX))) {
                return depth;
            }
            depth++;
        }
        return -1;
    }

    /**
     * Whether the attempt {@code attemptId} is in the table: a snapshot among the current one's
     * ancestors down to {@code baseSnapshotId} (the current one when the attempt started) says so.
     */
    static boolean landed(Table table, String attemptId, Optional<Long> baseSnapshotId) {
        int looked = 0;
        for (Snapshot s : SnapshotUtil.currentAncestors(table)) {
            if (attemptId.equals(s.summary().get(ATTEMPT))) {
                return true;
            }
            if (baseSnapshotId.isPresent() && s.snapshotId() == baseSnapshotId.get() || ++looked >= MAX_LOOK_BACK) {
                return false;
            }
        }
        return false;
    }

    /**
     * Makes a maintenance commit (compaction, or any other that is not a writer's) carry every
     * shard's watermark forward. The marks are copied inside a {@link SnapshotAncestryValidator},
     * which runs on every attempt after Iceberg refreshed the base: a writer that committed newer
     * marks meanwhile keeps them (a copy taken when the maintenance began would move them back,
     * and the writer's next commit would be refused and re-commit its rows). A writer's fence
     * then finds in the maintenance snapshot exactly the marks of the snapshot before it.
     *
     * @param own the update's own summary keys (the maintenance action that made it): set after
     *            the copy, so that the copy of an earlier maintenance snapshot's keys does not
     *            replace them
     */
    public static void carryForward(SnapshotUpdate<?> update, Map<String, String> own) {
        update.validateWith(new SnapshotAncestryValidator() {
            @Override
            public boolean validate(Iterable<Snapshot> ancestry) {
                // set() replaces a key; shards are never dropped from the marks, so no key of an
                // earlier attempt is left that the base does not have. The newest snapshot with
                // marks may say more (a current-state table's lakehose.source-snapshot): carried too.
                for (Snapshot s : ancestry) {
                    if (s.summary().keySet().stream().anyMatch(k -> k.startsWith(PREFIX))) {
                        s.summary().forEach((key, value) -> {
                            if (key.startsWith(LAKEHOSE_KEYS) && !key.equals(ATTEMPT)) {
                                update.set(key, value);
                            }
                        });
                        break;
                    }
                }
                own.forEach(update::set);
                return true;
            }

            @Override
            public String errorMessage() {
                return "never refuses";
            }
        });
    }

    /**
     * Appends {@code files} and moves the watermarks of {@code advances}, or is refused (and
     * appends nothing) when a shard's watermark in the base is not the one this writer saw.
     */
    static Outcome append(Table table, List<DataFile> files, List<Advance> advances, String attemptId) {
        AppendFiles append = table.newFastAppend();
        files.forEach(append::appendFile);
        append.set(ATTEMPT, attemptId);
        Map<String, Optional<SequenceNumber>> refused = new HashMap<>();
        append.validateWith(new SnapshotAncestryValidator() {
            @Override
            public boolean validate(Iterable<Snapshot> ancestry) {
                Map<String, SequenceNumber> base = watermarks(ancestry);
                refused.clear();
                for (Advance a : advances) {
                    Optional<SequenceNumber> actual = Optional.ofNullable(base.get(a.shardId()));
                    if (!Objects.equals(actual, a.from())) {
                        refused.put(a.shardId(), actual);
                    }
                }
                if (!refused.isEmpty()) {
                    return false;
                }
                // Carry every shard forward; summary() is built after this validator runs (on every
                // attempt), and set() replaces a key.
                base.forEach((shard, mark) -> append.set(PREFIX + shard, mark.toString()));
                advances.forEach(a -> append.set(PREFIX + a.shardId(), a.to().toString()));
                CrashPoints.reach(IcebergCommitter.VALIDATED, () -> "fence passed, snapshot not yet in the catalog: " + advances);
                return true;
            }

            @Override
            public String errorMessage() {
                return "another writer committed these shards since this one saw them (lease lost): " + refused;
            }
        });
        try {
            append.commit();
            return new Outcome(true, Map.of());
        } catch (ValidationException e) {
            if (refused.isEmpty()) {
                throw e;
            }
            return new Outcome(false, Map.copyOf(refused));
        }
    }
}
