package io.lakehose.audit;

import io.lakehose.commit.folders.ObjectNames;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.partition.LakeLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Proves, per shard of one stream, what the folder layout's fence promises (docs/design.md,
 * "The fence for folders"): in every directory the shard's objects form a chain whose ranges never
 * overlap (no record stored twice), and the lake holds the shard's records at least up to its lease
 * checkpoint (nothing checkpointed is missing from the end). A gap inside a chain is not visible
 * from the objects alone: records of one directory are not consecutive in the shard.
 */
public final class LakeAudit {

    /** What the audit found: overlaps and gaps (one line each); clean when both are empty. */
    public record Report(int objects, int shards, List<Overlap> overlaps, List<String> gaps) {
        public boolean clean() {
            return overlaps.isEmpty() && gaps.isEmpty();
        }
    }

    /** Two neighbours of one shard's chain in one directory whose ranges overlap: {@code after} starts inside {@code before}. */
    public record Overlap(StoredObject before, StoredObject after) {
        @Override
        public String toString() {
            return "shard " + after.shardId() + ": " + before.key() + " [" + before.first() + ".." + before.last()
                    + "] and " + after.key() + " [" + after.first() + ".." + after.last() + "] overlap";
        }
    }

    private final String stream;
    private final Function<String, Optional<SequenceNumber>> lastOf;

    /** @param lastOf an object key's last record (its {@code lakehose-last} metadata), or empty if unknown */
    public LakeAudit(String stream, Function<String, Optional<SequenceNumber>> lastOf) {
        this.stream = stream;
        this.lastOf = lastOf;
    }

    /**
     * @param keys        every key under the lake's and the error output's prefixes
     * @param checkpoints each shard's lease checkpoint (a sequence number), where it has one
     */
    public Report audit(List<String> keys, Map<String, SequenceNumber> checkpoints) {
        Map<String, List<StoredObject>> chains = new TreeMap<>();
        int objects = 0;
        for (String key : keys) {
            Optional<StoredObject> o = parse(key);
            if (o.isPresent()) {
                objects++;
                chains.computeIfAbsent(o.get().shardId() + " " + o.get().directory(), c -> new ArrayList<>()).add(o.get());
            }
        }
        List<Overlap> overlaps = new ArrayList<>();
        Map<String, SequenceNumber> highest = new TreeMap<>();
        for (List<StoredObject> chain : chains.values()) {
            // By first record; of two that start together, the longer first (the shorter lies inside it).
            chain.sort(Comparator.comparing(StoredObject::first).thenComparing(StoredObject::last, Comparator.reverseOrder()));
            for (int i = 1; i < chain.size(); i++) {
                StoredObject before = chain.get(i - 1);
                StoredObject after = chain.get(i);
                if (after.first().compareTo(before.last()) <= 0) {
                    overlaps.add(new Overlap(before, after));
                }
            }
            for (StoredObject o : chain) {
                highest.merge(o.shardId(), o.last(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        List<String> gaps = new ArrayList<>();
        checkpoints.forEach((shard, checkpoint) -> {
            SequenceNumber stored = highest.get(shard);
            if (stored == null || stored.compareTo(checkpoint) < 0) {
                gaps.add("shard " + shard + ": checkpointed at " + checkpoint + " but the lake holds its records only up to "
                        + (stored == null ? "nothing" : stored.toString()));
            }
        });
        return new Report(objects, highest.size(), overlaps, gaps);
    }

    /** A key of this stream's objects (fenced names), or of the release before (legacy names, any stream). */
    private Optional<StoredObject> parse(String key) {
        int slash = key.lastIndexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        String directory = key.substring(0, slash);
        String name = key.substring(slash + 1);
        String[] parts = name.split("~", 3);
        if (parts.length == 3 && parts[0].equals(stream)) {
            ObjectNames names = new ObjectNames(stream, parts[1]);
            Optional<SequenceNumber> first = names.startOf(directory, key);
            Optional<SequenceNumber> last = first.isPresent() ? lastOf.apply(key) : Optional.empty();
            return first.isPresent() && last.isPresent()
                    ? Optional.of(new StoredObject(key, directory, parts[1], first.get(), last.get()))
                    : Optional.empty();
        }
        int dash = name.indexOf('-', name.indexOf("shardId-") + "shardId-".length());
        if (name.startsWith("shardId-") && dash > 0) {
            String shard = name.substring(0, dash);
            SequenceNumber[] range = LakeLayout.rangeOf(key, shard);
            if (range != null) {
                return Optional.of(new StoredObject(key, directory, shard, range[0], range[1]));
            }
        }
        return Optional.empty();
    }
}
