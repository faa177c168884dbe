package io.lakehose.replay;

/** KCL 2.x's sentinel checkpoint values (SentinelCheckpoint), as stored in the lease table. */
final class Checkpoints {
    static final String TRIM_HORIZON = "TRIM_HORIZON";
    static final String LATEST = "LATEST";
    static final String SHARD_END = "SHARD_END";

    private Checkpoints() {
    }

    /** True for a sequence number (digits), false for a sentinel. */
    static boolean isSequence(String checkpoint) {
        return checkpoint != null && !checkpoint.isEmpty() && checkpoint.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** Numeric order of two sequence numbers (decimal strings without leading zeros). */
    static int compareSequences(String a, String b) {
        int c = Integer.compare(a.length(), b.length());
        return c != 0 ? c : a.compareTo(b);
    }
}
