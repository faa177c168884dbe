package io.lakehose.commit.iceberg.state;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one commit does to a current-state table (docs/design.md, "Tables", current-state table):
 * the changes collapsed to the newest per key ({@link MergeRule}), each compared with the key's
 * indexed change. A change not newer than the indexed one (a repeat, or one that arrived late)
 * does nothing. A newer one deletes the key's row, if it has one, and writes its own row, unless
 * it is a REMOVE and tombstones are not kept. Pure: it reads the index and changes nothing.
 *
 * @param rows    changes whose rows are written, in the order of their positions in the new file
 * @param deletes rows that are replaced or removed
 * @param removed REMOVEs that leave no row (tombstones in the index only)
 */
public record MergePlan(List<Change> rows, List<StateIndex.RowAt> deletes, List<Change> removed) {

    public static MergePlan of(Iterable<Change> changes, StateIndex index, boolean keepTombstones) {
        Map<String, Change> newest = new LinkedHashMap<>();
        for (Change c : changes) {
            newest.merge(c.key(), c, MergeRule.INSTANCE::newer);
        }
        List<Change> rows = new ArrayList<>();
        List<StateIndex.RowAt> deletes = new ArrayList<>();
        List<Change> removed = new ArrayList<>();
        for (Change c : newest.values()) {
            Optional<StateIndex.Entry> indexed = index.get(c.key());
            if (indexed.isPresent() && MergeRule.INSTANCE.compare(c, indexed.get().change()) <= 0) {
                continue;
            }
            indexed.flatMap(StateIndex.Entry::row).ifPresent(deletes::add);
            if (c.isRemove() && !keepTombstones) {
                removed.add(c);
            } else {
                rows.add(c);
            }
        }
        return new MergePlan(List.copyOf(rows), List.copyOf(deletes), List.copyOf(removed));
    }

    public boolean isEmpty() {
        return rows.isEmpty() && deletes.isEmpty() && removed.isEmpty();
    }

    /** The index after the plan's commit, whose row {@code i} went to {@code rowsAt.get(i)}. */
    public void applyTo(StateIndex index, List<StateIndex.RowAt> rowsAt) {
        deletes.forEach(d -> index.rowDeleted(d.file(), d.position()));
        for (int i = 0; i < rows.size(); i++) {
            index.rowAdded(rowsAt.get(i).file(), rowsAt.get(i).position(), rows.get(i));
        }
        removed.forEach(index::tombstone);
    }
}
