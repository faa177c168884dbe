package io.lakehose.maintain;

import io.lakehose.commit.iceberg.DataFileUpload;
import io.lakehose.commit.iceberg.IcebergParquetFiles;
import io.lakehose.commit.iceberg.WatermarkFence;
import io.lakehose.encode.ParquetFileWriter;
import io.lakehose.encode.ParquetRows;
import io.lakehose.encode.ParquetSettings;
import org.apache.avro.Schema;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.CloseableIterable;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compaction of small data files (docs/design.md, "Tables", "Maintenance"): per partition, the
 * data files below three quarters of the target size are read and written again as files of
 * about the target size, and one {@link RewriteFiles} commit per partition swaps them.
 *
 * <p>Safe while writers commit: the rewrite is validated from the snapshot it was planned on (a
 * file it replaces that another commit removed, or that gained a delete meanwhile, refuses it),
 * it carries the shards' watermarks forward inside the commit's own validation
 * ({@link WatermarkFence#carryForward}), and a writer's append is never in the way (Iceberg
 * retries the loser on the new base and validates again). The new files take the planned
 * snapshot's data sequence number, so an equality delete committed after the plan still applies
 * to their rows.
 *
 * <p>Delete files: a small file some delete applies to is left as it is (counted, and said in the
 * report). Compaction of the current-state table will read such a file's rows minus its deletes
 * and replace the delete files with it ({@code RewriteFiles} takes both); the validation above
 * already refuses a rewrite that would lose a concurrent delete.
 */
final class Compaction {

    static final String ACTION = "compact";
    /** The summary key that names a maintenance snapshot's action. */
    static final String SUMMARY_KEY = "lakehose.maintain";
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

    /** Small files of one partition that share a row schema, rewritten into one file. */
    private record Bin(String avroSchema, List<DataFile> files) {
        ActionReport.Count count() {
            return new ActionReport.Count(files.size(), files.stream().mapToLong(DataFile::fileSizeInBytes).sum());
        }
    }

    /** What the plan found: the live data files, the small ones per partition, and those left. */
    private record Plan(ActionReport.Count live, Map<String, List<DataFile>> small, int withDeletes, int foreign) {
    }

    ActionReport run(Table table, String name, boolean dryRun) throws IOException {
        table.refresh();
        Snapshot base = table.currentSnapshot();
        if (base == null) {
            return new ActionReport(name, ACTION, dryRun ? ActionReport.DRY_RUN : ActionReport.DONE,
                    ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE, ActionReport.Count.NONE,
                    "no snapshot");
        }
        Plan plan = plan(table, base);
        NameMapping mapping = nameMapping(table);
        ActionReport.Count removed = ActionReport.Count.NONE;
        ActionReport.Count added = ActionReport.Count.NONE;
        int partitions = 0;
        int conflicts = 0;
        for (Map.Entry<String, List<DataFile>> e : plan.small().entrySet()) {
            if (e.getValue().size() < minInputFiles) {
                continue;
            }
            List<Bin> bins = bins(table, e.getValue());
            if (bins.isEmpty()) {
                continue;
            }
            partitions++;
            ActionReport.Count in = bins.stream().map(Bin::count).reduce(ActionReport.Count.NONE, ActionReport.Count::plus);
            if (dryRun) {
                removed = removed.plus(in);
                added = added.plus(bins.size(), in.bytes()); // about as many bytes: the same rows, the same codec
                continue;
            }
            Optional<ActionReport.Count> out = rewrite(table, base, e.getKey(), bins, mapping);
            if (out.isPresent()) {
                removed = removed.plus(in);
                added = added.plus(out.get());
            } else {
                conflicts++;
            }
        }
        ActionReport.Count after;
        if (dryRun) {
            after = new ActionReport.Count(plan.live().files() - removed.files() + added.files(), plan.live().bytes());
        } else {
            table.refresh();
            after = plan(table, table.currentSnapshot()).live();
        }
        List<String> detail = new ArrayList<>();
        detail.add(partitions + " partitions " + (dryRun ? "to compact" : "compacted"));
        if (conflicts > 0) {
            detail.add(conflicts + " left for the next run: another commit changed their files");
        }
        if (plan.withDeletes() > 0) {
            detail.add(plan.withDeletes() + " small files left as they are: deletes apply to them (not compacted yet)");
        }
        if (plan.foreign() > 0) {
            detail.add(plan.foreign() + " small files left as they are: not lakehose's Parquet of the table's current spec");
        }
        String outcome = dryRun ? ActionReport.DRY_RUN : conflicts > 0 ? ActionReport.CONFLICT : ActionReport.DONE;
        return new ActionReport(name, ACTION, outcome, plan.live(), after, removed, added, String.join("; ", detail));
    }

    private Plan plan(Table table, Snapshot snapshot) throws IOException {
        long small = targetBytes / 4 * 3;
        Map<String, List<DataFile>> byPartition = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        ActionReport.Count live = ActionReport.Count.NONE;
        int withDeletes = 0;
        int foreign = 0;
        if (snapshot == null) {
            return new Plan(live, byPartition, 0, 0);
        }
        try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId()).planFiles()) {
            for (FileScanTask t : tasks) {
                DataFile f = t.file();
                if (!seen.add(f.location())) {
                    continue;
                }
                live = live.plus(1, f.fileSizeInBytes());
                if (f.fileSizeInBytes() >= small) {
                    continue;
                }
                if (!t.deletes().isEmpty()) {
                    withDeletes++;
                } else if (f.format() != FileFormat.PARQUET || f.specId() != table.spec().specId()) {
                    foreign++;
                } else {
                    byPartition.computeIfAbsent(t.spec().partitionToPath(f.partition()), p -> new ArrayList<>()).add(f);
                }
            }
        }
        return new Plan(live, byPartition, withDeletes, foreign);
    }

    /** A partition's small files by row schema, packed in order into bins of at most the target size; single files left. */
    private List<Bin> bins(Table table, List<DataFile> files) throws IOException {
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
                    addIfSeveral(bins, schema, bin);
                    bin = new ArrayList<>();
                    bytes = 0;
                }
                bin.add(f);
                bytes += f.fileSizeInBytes();
            }
            addIfSeveral(bins, schema, bin);
        });
        return bins;
    }

    private static void addIfSeveral(List<Bin> bins, String schema, List<DataFile> files) {
        if (files.size() > 1) {
            bins.add(new Bin(schema, List.copyOf(files)));
        }
    }

    /**
     * Writes each bin's rows into one new file and commits them in place of the bins' files; empty
     * when another commit won (the new files are deleted then: no snapshot references them).
     */
    private Optional<ActionReport.Count> rewrite(Table table, Snapshot base, String partition, List<Bin> bins,
                                                 NameMapping mapping) throws IOException {
        List<DataFile> written = new ArrayList<>();
        try {
            for (Bin bin : bins) {
                written.add(write(table, partition, bin, mapping));
            }
            RewriteFiles rewrite = table.newRewrite()
                    .validateFromSnapshot(base.snapshotId())
                    .dataSequenceNumber(base.sequenceNumber());
            bins.forEach(b -> b.files().forEach(rewrite::deleteFile));
            written.forEach(rewrite::addFile);
            rewrite.set(SUMMARY_KEY, ACTION);
            WatermarkFence.carryForward(rewrite);
            beforeCommit.run();
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

    /** One bin's rows, in order, in one new file of the table with Iceberg field ids, uploaded. */
    private DataFile write(Table table, String partition, Bin bin, NameMapping mapping) throws IOException {
        Path out = Files.createTempFile(workDir, "compact-", ".parquet");
        try {
            long rows = 0;
            long expected = bin.files().stream().mapToLong(DataFile::recordCount).sum();
            try (ParquetFileWriter writer = new ParquetFileWriter(out, new Schema.Parser().parse(bin.avroSchema()),
                    parquet, schema -> withIds(schema, mapping))) {
                long[] n = {0};
                for (DataFile f : bin.files()) {
                    ParquetRows.forEach(input(table, f), row -> {
                        writer.write(row);
                        n[0]++;
                    });
                }
                rows = n[0];
            }
            if (rows != expected) {
                throw new IllegalStateException("compaction of " + table.name() + " partition " + partition + " read "
                        + rows + " rows where the table's metadata counts " + expected + "; nothing committed");
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
