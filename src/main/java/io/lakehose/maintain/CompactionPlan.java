package io.lakehose.maintain;

import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What compaction finds in one snapshot (docs/design.md, "Tables", "Maintenance"): per partition,
 * the data files to rewrite, and which delete files apply to which live data files.
 *
 * <p>A data file is rewritten when it is small (below three quarters of the target size) or when
 * position deletes remove at least {@value #DELETED_SHARE} of its rows; a partition only once it
 * has {@code minInputFiles} small files or such a file. A file a delete applies to that
 * compaction cannot read (an equality delete, a deletion vector) is left as it is.
 *
 * @param live        the snapshot's live data and delete files
 * @param toRewrite   per partition (its path), the data files to rewrite
 * @param deletes     the deleted positions of the files to rewrite
 * @param deleteFiles the delete files that apply to a file to rewrite, by location
 * @param appliesTo   per delete file (location), every live data file it applies to
 * @param unreadable  small files left because a delete compaction cannot apply applies to them
 * @param foreign     small files left because they are not Parquet of the table's current spec
 */
record CompactionPlan(ActionReport.Count live, Map<String, List<DataFile>> toRewrite, PositionDeletes deletes,
                      Map<String, DeleteFile> deleteFiles, Map<String, Set<String>> appliesTo, int unreadable,
                      int foreign) {

    /** A file this much deleted is rewritten whatever its size (a reader otherwise skips its rows one by one). */
    static final double DELETED_SHARE = 0.3;

    static CompactionPlan of(Table table, Snapshot snapshot, long targetBytes, int minInputFiles) throws IOException {
        long small = targetBytes / 4 * 3;
        ActionReport.Count live = ActionReport.Count.NONE;
        Map<String, List<FileScanTask>> tentative = new TreeMap<>();
        Map<String, Set<String>> appliesTo = new HashMap<>();
        Map<String, DeleteFile> deleteFiles = new HashMap<>();
        Set<String> seen = new HashSet<>();
        int unreadable = 0;
        int foreign = 0;
        if (snapshot == null) {
            return new CompactionPlan(live, Map.of(), new PositionDeletes(), Map.of(), Map.of(), 0, 0);
        }
        try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId()).planFiles()) {
            for (FileScanTask t : tasks) {
                DataFile f = t.file();
                if (!seen.add(f.location())) {
                    continue;
                }
                live = live.plus(1, f.fileSizeInBytes());
                for (DeleteFile d : t.deletes()) {
                    if (seen.add(d.location())) {
                        live = live.plus(1, d.fileSizeInBytes());
                    }
                    appliesTo.computeIfAbsent(d.location(), x -> new HashSet<>()).add(f.location());
                }
                if (f.fileSizeInBytes() >= small && t.deletes().isEmpty()) {
                    continue;
                }
                if (!t.deletes().stream().allMatch(PositionDeletes::readable)) {
                    unreadable += f.fileSizeInBytes() < small ? 1 : 0;
                } else if (f.format() != FileFormat.PARQUET || f.specId() != table.spec().specId()) {
                    foreign += f.fileSizeInBytes() < small ? 1 : 0;
                } else {
                    tentative.computeIfAbsent(t.spec().partitionToPath(f.partition()), p -> new ArrayList<>()).add(t);
                }
            }
        }
        PositionDeletes deletes = new PositionDeletes();
        Set<String> candidates = new HashSet<>();
        tentative.values().forEach(ts -> ts.forEach(t -> candidates.add(t.file().location())));
        for (List<FileScanTask> ts : tentative.values()) {
            for (FileScanTask t : ts) {
                for (DeleteFile d : t.deletes()) {
                    if (deleteFiles.putIfAbsent(d.location(), d) == null) {
                        deletes.read(table, d, candidates);
                    }
                }
            }
        }
        Map<String, List<DataFile>> toRewrite = new LinkedHashMap<>();
        tentative.forEach((partition, ts) -> {
            List<DataFile> files = new ArrayList<>();
            int smallFiles = 0;
            boolean mostlyDeleted = false;
            for (FileScanTask t : ts) {
                DataFile f = t.file();
                if (f.fileSizeInBytes() < small) {
                    smallFiles++;
                    files.add(f);
                } else if (deletes.count(f) >= DELETED_SHARE * f.recordCount()) {
                    mostlyDeleted = true;
                    files.add(f);
                }
            }
            if (smallFiles >= minInputFiles || mostlyDeleted) {
                toRewrite.put(partition, files);
            }
        });
        return new CompactionPlan(live, toRewrite, deletes, deleteFiles, appliesTo, unreadable, foreign);
    }

    /** The live data and delete files of {@code snapshot}: what compaction looks at, before and after. */
    static ActionReport.Count live(Table table, Snapshot snapshot) throws IOException {
        ActionReport.Count live = ActionReport.Count.NONE;
        if (snapshot == null) {
            return live;
        }
        Set<String> seen = new HashSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId()).planFiles()) {
            for (FileScanTask t : tasks) {
                if (seen.add(t.file().location())) {
                    live = live.plus(1, t.file().fileSizeInBytes());
                }
                for (DeleteFile d : t.deletes()) {
                    if (seen.add(d.location())) {
                        live = live.plus(1, d.fileSizeInBytes());
                    }
                }
            }
        }
        return live;
    }

    /** The delete files that apply to some of {@code rewritten} and to no other live data file: they go with them. */
    List<DeleteFile> deleteFilesLeftWithout(Set<String> rewritten) {
        List<DeleteFile> gone = new ArrayList<>();
        deleteFiles.forEach((location, d) -> {
            if (rewritten.containsAll(appliesTo.get(location))) {
                gone.add(d);
            }
        });
        return gone;
    }
}
