package io.lakehose.commit.folders;

import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.ObjectStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How far one shard's records of a partition directory are already in the lake, read from the
 * shard's own objects there (docs/design.md, "Recovery"). Objects of one shard and directory
 * form a chain without gaps or overlaps (the fence guarantees it), so the object with the
 * highest start ends at the mark; its end is in its metadata ({@value #LAST}).
 *
 * <p>Objects of the release before the fence ({@code <shard>-<first>-<last>.<ext>}, not scoped by
 * stream) are read too, so a lake written by it resumes where it stood.
 */
public final class StoredMarks {

    /** User metadata of every object: the sequence number of its last record. */
    public static final String LAST = "lakehose-last";
    /** User metadata of every object: how many records it holds. */
    public static final String RECORDS = "lakehose-records";

    private final ObjectStore store;
    private final ObjectNames names;
    private final Function<String, List<String>> legacyDirectories;

    /** @param legacyDirectories where the release before put a directory's records (its error output had no table level) */
    StoredMarks(ObjectStore store, ObjectNames names, Function<String, List<String>> legacyDirectories) {
        this.store = store;
        this.names = names;
        this.legacyDirectories = legacyDirectories;
    }

    /** The last stored record of the shard in {@code directory}, if any. */
    Optional<SequenceNumber> load(String directory) {
        Optional<SequenceNumber> fenced = store.list(names.prefix(directory)).stream()
                .flatMap(key -> names.startOf(directory, key).map(start -> Map.entry(key, start)).stream())
                .max(Map.Entry.comparingByValue())
                .map(newest -> lastOf(newest.getKey()));
        List<String> directories = new ArrayList<>(List.of(directory));
        directories.addAll(legacyDirectories.apply(directory));
        Optional<SequenceNumber> legacy = directories.stream()
                .flatMap(dir -> store.list(dir + "/" + names.shardId() + "-").stream())
                .map(key -> LakeLayout.rangeOf(key, names.shardId()))
                .filter(range -> range != null)
                .map(range -> range[1])
                .max(Comparator.naturalOrder());
        return fenced.isEmpty() ? legacy
                : legacy.isEmpty() ? fenced
                : Optional.of(fenced.get().compareTo(legacy.get()) >= 0 ? fenced.get() : legacy.get());
    }

    /** The last record of the object under {@code key}, from its metadata. */
    SequenceNumber lastOf(String key) {
        Map<String, String> metadata = store.metadata(key)
                .orElseThrow(() -> new IllegalStateException("object " + key + " was listed or refused a write, "
                        + "but is not there any more; its range cannot be learned"));
        String last = metadata.get(LAST);
        if (last == null) {
            throw new IllegalStateException("object " + key + " has no '" + LAST + "' metadata, so where it ends "
                    + "cannot be told; was it written by something else than lakehose?");
        }
        return SequenceNumber.parse(last);
    }
}
