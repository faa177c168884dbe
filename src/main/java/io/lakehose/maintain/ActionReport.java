package io.lakehose.maintain;

/**
 * What one maintenance action did to one table: the table's files before and after (what the
 * action looks at: compaction the current snapshot's data and delete files, the manifest rewrite
 * its manifests, expiry the files any snapshot references, orphan cleanup the files stored under
 * the table's location), what it removed and added, and how it ended.
 *
 * @param outcome {@value #DONE}, {@value #DRY_RUN}, {@value #CONFLICT} or {@value #FAILED}
 * @param detail  what else an operator wants to read (snapshots expired, files left and why)
 */
public record ActionReport(String table, String action, String outcome, Count before, Count after, Count removed,
                           Count added, String detail) {

    public static final String DONE = "done";
    /** Planned, nothing changed ({@code --dry-run}). */
    public static final String DRY_RUN = "dry_run";
    /** Another commit won a race: nothing of this action was committed; the next run tries again. */
    public static final String CONFLICT = "conflict";
    public static final String FAILED = "failed";

    /** A number of files and their bytes. */
    public record Count(long files, long bytes) {

        public static final Count NONE = new Count(0, 0);

        Count plus(long moreFiles, long moreBytes) {
            return new Count(files + moreFiles, bytes + moreBytes);
        }

        Count plus(Count other) {
            return plus(other.files, other.bytes);
        }

        @Override
        public String toString() {
            return files + " files (" + bytes + " bytes)";
        }
    }

    public boolean failed() {
        return outcome.equals(FAILED);
    }

    /** The action's log line: the table, the action, before and after, what changed. */
    public String line() {
        return "maintain " + table + " " + action + " " + outcome + ": " + before + " -> " + after + "; removed "
                + removed + ", added " + added + (detail.isEmpty() ? "" : "; " + detail);
    }
}
