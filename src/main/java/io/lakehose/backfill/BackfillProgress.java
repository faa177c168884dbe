package io.lakehose.backfill;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a backfill has durably done, saved after every uploaded file so that a killed backfill
 * started again with the same arguments continues where it stopped.
 *
 * <p>Why this makes a resumed backfill exactly-once: a unit (a Scan segment, or an export data
 * file) writes its files in order, file {@code n} starting where file {@code n-1} ended, and
 * its progress moves to file {@code n+1} only after file {@code n} is stored. A resumed unit
 * starts again at the saved position and names its next file {@code n} again, so a file stored
 * just before the kill is replaced by the new file {@code n}, never kept beside it.
 *
 * @param table          the lake's table name
 * @param source         {@code scan}, or the export's location for {@code --from-export}
 * @param runId          names this backfill's files (the snapshot time, or the export id)
 * @param snapshotMicros the rows' event_time: one second before the scan began, or the export time
 * @param units          per Scan segment or export data file
 */
public record BackfillProgress(int version, String table, String source, String runId, long snapshotMicros,
                               List<Unit> units) {

    public static final int VERSION = 1;

    /**
     * One segment's (or data file's) position.
     *
     * @param nextFile  index of the next file the unit writes
     * @param resumeKey a Scan's ExclusiveStartKey for file {@code nextFile} (typed JSON), or null
     *                  at the start of the segment
     * @param items     rows stored so far
     * @param done      every row of the unit is stored
     */
    public record Unit(int index, int nextFile, String resumeKey, long items, boolean done) {
        Unit advanced(String nextResumeKey, long moreItems, boolean finished) {
            return new Unit(index, nextFile + 1, nextResumeKey, items + moreItems, finished);
        }
    }

    static BackfillProgress start(String table, String source, String runId, long snapshotMicros, int units) {
        List<Unit> list = new ArrayList<>();
        for (int i = 0; i < units; i++) {
            list.add(new Unit(i, 0, null, 0, false));
        }
        return new BackfillProgress(VERSION, table, source, runId, snapshotMicros, List.copyOf(list));
    }

    BackfillProgress with(Unit unit) {
        List<Unit> list = new ArrayList<>(units);
        list.set(unit.index(), unit);
        return new BackfillProgress(version, table, source, runId, snapshotMicros, List.copyOf(list));
    }

    /** The rows' event_time as an instant. */
    public Instant snapshotTime() {
        return Instant.EPOCH.plusNanos(snapshotMicros * 1000);
    }

    public long items() {
        return units.stream().mapToLong(Unit::items).sum();
    }

    public long unitsDone() {
        return units.stream().filter(Unit::done).count();
    }

    public boolean complete() {
        return units.stream().allMatch(Unit::done);
    }
}
