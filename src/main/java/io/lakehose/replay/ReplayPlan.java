package io.lakehose.replay;

import java.util.List;

/** What a replay does to each shard's lease, parents before children. */
public record ReplayPlan(ReplayTarget target, List<Step> steps) {

    public enum Action {
        /** Rewrite the lease's checkpoint (conditional on its counter). */
        RESET,
        /** Create the lease: a closed parent whose lease KCL already cleaned up, to be read again. */
        CREATE,
        /** Nothing to write. */
        UNCHANGED
    }

    /**
     * One shard.
     *
     * @param lease the lease as read, or null when the shard has none
     * @param shard the shard as listed, or null when the stream no longer has it (trimmed)
     * @param note why, when it is not obvious (a child following its parent, a new lease...), or null
     */
    public record Step(String shardId, Lease lease, ShardInfo shard, String newCheckpoint, Action action, String note) {

        public String oldPosition() {
            return lease == null ? "(no lease)" : lease.position();
        }

        /** {@code shard-id: <old> -> <new>}, plus the note in parentheses. */
        public String line() {
            return shardId + ": " + oldPosition() + " -> " + (action == Action.UNCHANGED && lease == null ? "(no lease)"
                    : newCheckpoint) + (note == null ? "" : "  (" + note + ")");
        }
    }

    public long count(Action action) {
        return steps.stream().filter(s -> s.action() == action).count();
    }
}
