package io.lakehose.audit;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.commit.folders.StoredMarks;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code audit --repair}: removes what an overlap stores twice, where that is provably lossless
 * (docs/design.md, "Audit and repair"). For an overlap of two objects of one shard in one
 * directory, every row of the later object at or before the earlier one's last record must be
 * in the earlier object, compared row by row by position; only then is the later object replaced
 * by its rows after that point (written under the name of its new first row, if absent, with its
 * marks), or deleted when nothing is left, and only after the replacement is stored. Anything
 * short of that proof is reported and left alone. A gap is never repaired: its records are not in
 * the lake (a replay re-reads them from the stream).
 *
 * <p>Each step leaves the lake readable and the repair re-runnable: a crash between storing the
 * replacement and deleting the original leaves an overlap the next run removes the same way.
 */
public final class LakeRepair {

    /** What one repair did, or why it did nothing. */
    public record Outcome(boolean repaired, String description) {
    }

    private final ObjectStore store;
    private final String stream;
    private final Map<String, FileTrimmer> trimmers;
    private final Path workDir;

    /**
     * @param stream   the stream whose names replacements get
     * @param trimmers by file extension (".parquet", ".jsonl", ".jsonl.gz")
     * @param workDir  where the two objects are downloaded while they are compared
     */
    public LakeRepair(ObjectStore store, String stream, Map<String, FileTrimmer> trimmers, Path workDir) {
        this.store = store;
        this.stream = stream;
        this.trimmers = trimmers;
        this.workDir = workDir;
    }

    public Outcome repair(LakeAudit.Overlap overlap) throws IOException {
        StoredObject before = overlap.before();
        StoredObject after = overlap.after();
        String extension = extension(after.key());
        FileTrimmer trimmer = trimmers.get(extension);
        if (trimmer == null || !extension.equals(extension(before.key()))) {
            return new Outcome(false, "left " + after.key() + ": no row reader for its kind of file");
        }
        Path beforeFile = download(before.key());
        Path afterFile = download(after.key());
        try {
            SealedFile earlier = sealed(beforeFile, before, extension);
            SealedFile later = sealed(afterFile, after, extension);
            Set<SequenceNumber> earlierRows = new HashSet<>(trimmer.positions(earlier));
            List<SequenceNumber> twice = trimmer.positions(later).stream()
                    .filter(p -> p.compareTo(before.last()) <= 0).toList();
            List<SequenceNumber> onlyInLater = twice.stream().filter(p -> !earlierRows.contains(p)).toList();
            if (!onlyInLater.isEmpty()) {
                return new Outcome(false, "left " + after.key() + ": " + onlyInLater.size() + " of its rows at or before "
                        + before.last() + " are not in " + before.key() + " (first: " + onlyInLater.get(0)
                        + "); removing them would lose records");
            }
            Optional<SealedFile> rest = trimmer.rowsAfter(later, before.last());
            if (rest.isEmpty()) {
                store.delete(after.key());
                return new Outcome(true, "deleted " + after.key() + ": all " + twice.size() + " of its rows are in "
                        + before.key());
            }
            try {
                String key = new ObjectNames(stream, after.shardId()).key(after.directory(), rest.get().first(), extension);
                Map<String, String> marks = Map.of(StoredMarks.LAST, rest.get().last().toString(),
                        StoredMarks.RECORDS, Long.toString(rest.get().records()));
                boolean stored = store.putIfAbsent(rest.get().spoolFile(), key, contentType(extension), marks)
                        .get(10, TimeUnit.MINUTES).isPresent();
                if (!stored && !holdsAll(key, trimmer.positions(rest.get()), extension, after)) {
                    return new Outcome(false, "left " + after.key() + ": its rows after " + before.last() + " would go to "
                            + key + ", which exists and lacks some of them");
                }
                store.delete(after.key());
                return new Outcome(true, (stored ? "replaced " + after.key() + " by " + key : "deleted " + after.key())
                        + ": its " + twice.size() + " rows up to " + before.last() + " are in " + before.key() + ", its "
                        + rest.get().records() + " others " + (stored ? "kept" : "in " + key));
            } finally {
                rest.get().deleteSpoolFile();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while repairing " + after.key(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot store the replacement of " + after.key() + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(beforeFile);
            Files.deleteIfExists(afterFile);
        }
    }

    /**
     * Whether the object under {@code key} (the replacement an earlier run stored, or the next
     * object of the chain, which starts where the rest would) holds every one of {@code rows}.
     */
    private boolean holdsAll(String key, List<SequenceNumber> rows, String extension, StoredObject after)
            throws IOException {
        Path file = download(key);
        try {
            StoredObject existing = new StoredObject(key, after.directory(), after.shardId(), rows.get(0), rows.get(0));
            return new HashSet<>(trimmers.get(extension).positions(sealed(file, existing, extension))).containsAll(rows);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private Path download(String key) throws IOException {
        byte[] content = store.read(key).orElseThrow(() -> new IOException("object gone while repairing: " + key));
        return Files.write(Files.createTempFile(workDir, "repair-", ".tmp"), content);
    }

    private static SealedFile sealed(Path file, StoredObject object, String extension) throws IOException {
        return new SealedFile(file, object.directory(), extension, contentType(extension), Files.size(file), 0,
                object.first(), object.last(), 0);
    }

    static String extension(String key) {
        String name = key.substring(key.lastIndexOf('/') + 1);
        return name.endsWith(".jsonl.gz") ? ".jsonl.gz" : name.substring(Math.max(0, name.lastIndexOf('.')));
    }

    private static String contentType(String extension) {
        return extension.equals(".parquet") ? "application/vnd.apache.parquet" : "application/x-ndjson";
    }
}
