package io.lakehose.maintain;

import io.lakehose.commit.CrashPoints;
import io.lakehose.commit.iceberg.DataFileUpload;
import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.commit.iceberg.WatermarkFence;
import io.lakehose.encode.ParquetFileWriter;
import io.lakehose.encode.ParquetRows;
import io.lakehose.encode.ParquetSettings;
import org.apache.avro.Schema;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Compaction of small data files and of the delete files that apply to them (docs/design.md,
 * "Tables", "Maintenance"): per partition, the data files {@link CompactionPlan} picks (small
 * ones, and those position deletes mostly emptied) are read minus their deleted rows and written
 * again as files of about the target size, and one {@link RewriteFiles} commit per partition
 * swaps them, removing with them the delete files that applied to them and to no other live file.
 *
 * <p>Safe while writers commit: the rewrite is validated from the snapshot it was planned on (a
 * file it replaces that another commit removed, a delete file it drops that another compaction
 * dropped, or a new position delete against a file it replaces refuses it), it carries the
 * shards' watermarks and the other {@code lakehose.*} summary keys forward inside the commit's
 * own validation ({@link WatermarkFence#carryForward}), and a writer's append is never in the way
 * (Iceberg retries the loser on the new base and validates again). A refused rewrite deletes
 * what it uploaded and is planned again on the new snapshot, up to {@value #ATTEMPTS} times in
 * one run. So a current-state commit that deletes a row of a file being compacted is never lost:
 * either it lands first and the compaction is refused and redone from it, or the compaction lands
 * first and the state writer's fence refuses its commit, which is computed again on the
 * compacted files. The new files take the planned snapshot's data sequence number, so an
 * equality delete committed after the plan still applies to their rows.
 */
final class Compaction {

    static final String ACTION = "compact";
    /** The summary key that names a maintenance snapshot's action. */
    static final String SUMMARY_KEY = "lakehose.maintain";
    /** Crash point (tests only, {@link CrashPoints}): a partition's new files uploaded, its commit not yet tried. */
    static final String UPLOADED = "maintain.compact.uploaded";
    /** Plans per run: the first, and again after each refused rewrite. */
    static final int ATTEMPTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(Compaction.class);

    private final long targetBytes;
    private final int minInputFiles;
    private final ParquetSettings parquet;
    private final Path workDir;
    /** Runs just before each commit (tests make a writer commit there); nothing in production. */
    private final Runnable beforeCommit;

    Compaction(long targetBytes, int minInputFiles, ParquetSettings parquet, Path workDir, Runnable beforeCommit) {
        this.targetBytes = targetBytes;
        this.minInputFiles = minInputFiles;
        this.parquet = parquet;
        this.workDir = workDir;
        this.beforeCommit = beforeCommit;
    }

    /** Files of one partition that share a row schema, rewritten into one file. */
    private record Bin(String avroSchema, List<DataFile> files) {
        ActionReport.Count count() {
            return new ActionReport.Count(files.size(), files.stream().mapToLong(DataFile::fileSizeInBytes).sum());
        }
    }

    /** What one attempt did: files removed (data and delete files) and added, partitions done and refused. */
    private record Attempt(ActionReport.Count removed, ActionReport.Count added, int deleteFiles, int partitions,
                           int conflicts) {
    }

    ActionReport run(Table table, String name, boolean dryRun) throws IOException {
        table.refresh();
        Snapshot base = table.currentSnapshot();
        if (base == null) {
            return new ActionReport(name, ACTION, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE,
                    "no snapshot");
        }
        CompactionPlan first = CompactionPlan.of(table, base, targetBytes, minInputFiles);
        CompactionPlan plan = first;
        ActionReport.Count removed = ActionReport.Count.NONE;
        ActionReport.Count added = ActionReport.Count.NONE;
        int deleteFiles = 0;
        int partitions = 0;
        int retried = 0;
        Attempt attempt;
        for (int n = 1; ; n++) {
            attempt = attempt(table, base, plan, dryRun);
            removed = removed.plus(attempt.removed());
            added = added.plus(attempt.added());
            deleteFiles += attempt.deleteFiles();
            partitions += attempt.partitions();
            if (dryRun || attempt.conflicts() == 0 || n == ATTEMPTS) {
                break;
            }
            retried += attempt.conflicts();
            table.refresh();
            base = table.currentSnapshot();
            plan = CompactionPlan.of(table, base, targetBytes, minInputFiles);
        }
        ActionReport.Count after;
        if (dryRun) {
            after = new ActionReport.Count(first.live().files() - removed.files() + added.files(),
                    first.live().bytes() - removed.bytes() + added.bytes());
        } else {
            table.refresh();
            after = CompactionPlan.live(table, table.currentSnapshot());
        }
        List<String> detail = new ArrayList<>();
        detail.add(partitions + " partitions " + (dryRun ? "to compact" : "compacted"));
        if (deleteFiles > 0) {
            detail.add(deleteFiles + " delete files " + (dryRun ? "to apply and remove" : "applied and removed"));
        }
        if (retried > 0) {
            detail.add(retried + " partitions planned again: another commit changed their files first");
        }
        if (attempt.conflicts() > 0) {
            detail.add(attempt.conflicts() + " left for the next run: another commit changed their files");
        }
        if (plan.unreadable() > 0) {
            detail.add(plan.unreadable() + " small files left as they are: equality deletes or deletion vectors apply");
        }
        if (plan.foreign() > 0) {
            detail.add(plan.foreign() + " small files left as they are: not lakehose's Parquet of the table's current spec");
        }
        String outcome = dryRun ? ActionReport.DRY_RUN
                : attempt.conflicts() > 0 ? ActionReport.CONFLICT : ActionReport.DONE;
        return new ActionReport(name, ACTION, outcome, first.live(), after, removed, added, String.join("; ", detail));
    }

    /** Rewrites each partition of {@code plan} (or, in a dry run, counts what it would). */
    private Attempt attempt(Table table, Snapshot base, CompactionPlan plan, boolean dryRun) throws IOException {
        NameMapping mapping = nameMapping(table);
        ActionReport.Count removed = ActionReport.Count.NONE;
        ActionReport.Count added = ActionReport.Count.NONE;
        int deleteFiles = 0;
        int partitions = 0;
        int conflicts = 0;
        for (Map.Entry<String, List<DataFile>> e : plan.toRewrite().entrySet()) {
            List<Bin> bins = bins(table, e.getValue(), plan.deletes());
            if (bins.isEmpty()) {
                continue;
            }
            Set<String> rewritten = new HashSet<>();
            bins.forEach(b -> b.files().forEach(f -> rewritten.add(f.location())));
            List<DeleteFile> dropped = plan.deleteFilesLeftWithout(rewritten);
            ActionReport.Count in = bins.stream().map(Bin::count).reduce(ActionReport.Count.NONE, ActionReport.Count::plus)
                    .plus(dropped.size(), dropped.stream().mapToLong(DeleteFile::fileSizeInBytes).sum());
            if (dryRun) {
                partitions++;
                deleteFiles += dropped.size();
                removed = removed.plus(in);
                // about as many bytes as the rows kept: the same codec
                long keptBytes = bins.stream().flatMap(b -> b.files().stream()).mapToLong(f -> f.recordCount() == 0 ? 0
                        : f.fileSizeInBytes() * (f.recordCount() - plan.deletes().count(f)) / f.recordCount()).sum();
                added = added.plus(bins.size(), keptBytes);
                continue;
            }
            Optional<ActionReport.Count> out = rewrite(table, base, e.getKey(), bins, dropped, plan.deletes(), mapping);
            if (out.isPresent()) {
                partitions++;
                deleteFiles += dropped.size();
                removed = removed.plus(in);
                added = added.plus(out.get());
            } else {
                conflicts++;
            }
        }
        return new Attempt(removed, added, deleteFiles, partitions, conflicts);
    }

    /**
     * A partition's files by row schema, packed in order into bins of at most the target size; a
     * bin of one file only when deletes apply to it (rewriting it drops them).
     */
    private List<Bin> bins(Table table, List<DataFile> files, PositionDeletes deletes) throws IOException {
        Map<String, List<DataFile>> bySchema = new LinkedHashMap<>();
        for (DataFile f : files) {
            Optional<String> schema = ParquetRows.avroSchema(input(table, f));
            if (schema.isEmpty()) {
                LOG.info("{}: not a file parquet-avro wrote (no Avro schema in its footer); left as it is", f.location());
                continue;
            }
            bySchema.computeIfAbsent(schema.get(), s -> new ArrayList<>()).add(f);
        }
        List<Bin> bins = new ArrayList<>();
        bySchema.forEach((schema, same) -> {
            List<DataFile> bin = new ArrayList<>();
            long bytes = 0;
            for (DataFile f : same) {
                if (!bin.isEmpty() && bytes + f.fileSizeInBytes() > targetBytes) {
                    addIfWorth(bins, schema, bin, deletes);
                    bin = new ArrayList<>();
                    bytes = 0;
                }
                bin.add(f);
                bytes += f.fileSizeInBytes();
            }
            addIfWorth(bins, schema, bin, deletes);
        });
        return bins;
    }

    private static void addIfWorth(List<Bin> bins, String schema, List<DataFile> files, PositionDeletes deletes) {
        if (files.size() > 1 || files.size() == 1 && deletes.count(files.get(0)) > 0) {
            bins.add(new Bin(schema, List.copyOf(files)));
        }
    }

    /**
     * Writes each bin's live rows into one new file and commits them in place of the bins' files
     * and of {@code dropped}; empty when another commit won (the new files are deleted then: no
     * snapshot references them).
     */
    private Optional<ActionReport.Count> rewrite(Table table, Snapshot base, String partition, List<Bin> bins,
                                                 List<DeleteFile> dropped, PositionDeletes deletes, NameMapping mapping)
            throws IOException {
        List<DataFile> written = new ArrayList<>();
        try {
            for (Bin bin : bins) {
                written.add(write(table, partition, bin, deletes, mapping));
            }
            RewriteFiles rewrite = table.newRewrite()
                    .validateFromSnapshot(base.snapshotId())
                    .dataSequenceNumber(base.sequenceNumber());
            bins.forEach(b -> b.files().forEach(rewrite::deleteFile));
            dropped.forEach(rewrite::deleteFile);
            written.forEach(rewrite::addFile);
            WatermarkFence.carryForward(rewrite, Map.of(SUMMARY_KEY, ACTION));
            beforeCommit.run();
            CrashPoints.reach(UPLOADED, () -> "compaction's files uploaded, not committed: "
                    + written.stream().map(DataFile::location).toList());
            rewrite.commit();
            return Optional.of(new ActionReport.Count(written.size(),
                    written.stream().mapToLong(DataFile::fileSizeInBytes).sum()));
        } catch (CommitStateUnknownException e) {
            throw e; // the new files may be in the table: left (orphan cleanup removes them if they are not)
        } catch (ValidationException | CommitFailedException e) {
            LOG.info("compaction of {} partition {} not committed, another commit changed its files: {}",
                    table.name(), partition, e.getMessage());
            written.forEach(f -> deleteQuietly(table, f));
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            written.forEach(f -> deleteQuietly(table, f));
            throw e;
        }
    }

    /** One bin's live rows, in order, in one new file of the table with Iceberg field ids, uploaded. */
    private DataFile write(Table table, String partition, Bin bin, PositionDeletes deletes, NameMapping mapping)
            throws IOException {
        Path out = Files.createTempFile(workDir, "compact-", ".parquet");
        try {
            long rows = 0;
            long expected = bin.files().stream().mapToLong(f -> f.recordCount() - deletes.count(f)).sum();
            try (ParquetFileWriter writer = new ParquetFileWriter(out, new Schema.Parser().parse(bin.avroSchema()),
                    parquet, schema -> withIds(schema, mapping))) {
                long[] n = {0};
                for (DataFile f : bin.files()) {
                    BitSet deleted = deletes.of(f);
                    int[] pos = {0};
                    ParquetRows.forEach(input(table, f), row -> {
                        if (!deleted.get(pos[0]++)) {
                            writer.write(row);
                            n[0]++;
                        }
                    });
                }
                rows = n[0];
            }
            if (rows != expected) {
                throw new IllegalStateException("compaction of " + table.name() + " partition " + partition + " read "
                        + rows + " live rows where the table's metadata and deletes count " + expected
                        + "; nothing committed");
            }
            DataFile written = DataFileUpload.upload(table, out, "maintain-" + ACTION);
            String writtenPartition = table.spec().partitionToPath(written.partition());
            if (!writtenPartition.equals(partition)) {
                deleteQuietly(table, written);
                throw new IllegalStateException("compaction of " + table.name() + " partition " + partition
                        + " wrote rows of partition " + writtenPartition + "; nothing committed");
            }
            return written;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The file's schema with the field ids of the table's name mapping on every column, nested
     * ones included. A reader takes a file with ids by its ids: a column left without one would
     * read as empty, so a mapping that does not cover every column refuses the compaction.
     */
    static MessageType withIds(MessageType schema, NameMapping mapping) {
        MessageType annotated = ParquetSchemaUtil.applyNameMapping(schema, mapping);
        List<String> missing = new ArrayList<>();
        collectMissingIds(annotated, "", missing);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the table's name mapping has no field id for the columns " + missing
                    + "; nothing compacted");
        }
        return annotated;
    }

    private static void collectMissingIds(GroupType group, String path, List<String> missing) {
        for (Type field : group.getFields()) {
            String name = path.isEmpty() ? field.getName() : path + "." + field.getName();
            // A list's and a map's repeated middle level carries no id in Iceberg's own files either.
            boolean middle = field.isRepetition(Type.Repetition.REPEATED) && !field.isPrimitive()
                    && group.getLogicalTypeAnnotation() != null;
            if (field.getId() == null && !middle) {
                missing.add(name);
            }
            if (!field.isPrimitive()) {
                collectMissingIds(field.asGroupType(), name, missing);
            }
        }
    }

    private static InputFile input(Table table, DataFile f) {
        return IcebergParquetFiles.in(table.io().newInputFile(f.location(), f.fileSizeInBytes()));
    }

    /** The table's name mapping (its data files' columns by name to field ids), or one made from its schema. */
    private static NameMapping nameMapping(Table table) {
        String json = table.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
        return json == null ? MappingUtil.create(table.schema()) : NameMappingParser.fromJson(json);
    }

    private static void deleteQuietly(Table table, DataFile f) {
        try {
            table.io().deleteFile(f.location());
        } catch (RuntimeException e) {
            LOG.warn("could not delete {} (an orphan: orphan cleanup removes it): {}", f.location(), e.toString());
        }
    }
}
