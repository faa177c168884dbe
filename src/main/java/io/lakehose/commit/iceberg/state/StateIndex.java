package io.lakehose.commit.iceberg.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A current-state table as the writer knows it (docs/design.md, "Tables", current-state table):
 * per item key, the change that produced its row and where that row is (data file, position),
 * or a tombstone (the key's newest change was a REMOVE and no row is kept). Per data file, the
 * key of each position, so a position delete committed by another writer finds its key.
 *
 * <p>Tombstones are held in memory only, so a change older than a REMOVE that arrives later does
 * not bring the item back; they are not in the table (unless tombstones are kept), so a new
 * writer starts without them. Not thread-safe.
 */
public final class StateIndex {

    /** Where a row is. */
    public record RowAt(String file, long position) {
    }

    /** A key's newest change and its row; no row for a tombstone. */
    public record Entry(Change change, Optional<RowAt> row) {
    }

    private final Map<String, Entry> byKey = new HashMap<>();
    private final Map<String, List<String>> keysByFile = new HashMap<>();
    /** The keys of byKey whose entry is a tombstone: forgetting old ones then costs the tombstones, not the table. */
    private final Set<String> tombstones = new HashSet<>();

    public Optional<Entry> get(String key) {
        return Optional.ofNullable(byKey.get(key));
    }

    public void clear() {
        byKey.clear();
        keysByFile.clear();
        tombstones.clear();
    }

    public int size() {
        return byKey.size();
    }

    /** Keys with a row (what the table holds), tombstones excluded. */
    public long rows() {
        return byKey.size() - tombstones.size();
    }

    /** A row of {@code file} at {@code position} holds {@code change} (read from the table, or written by this writer). */
    public void rowAdded(String file, long position, Change change) {
        List<String> keys = keysByFile.computeIfAbsent(file, f -> new ArrayList<>());
        while (keys.size() <= position) {
            keys.add(null);
        }
        keys.set((int) position, change.key());
        byKey.put(change.key(), new Entry(change, Optional.of(new RowAt(file, position))));
        tombstones.remove(change.key());
    }

    /** The row at {@code file}/{@code position} was deleted; its key keeps its change as a tombstone. */
    public void rowDeleted(String file, long position) {
        List<String> keys = keysByFile.get(file);
        if (keys == null || position >= keys.size() || keys.get((int) position) == null) {
            return;
        }
        String key = keys.set((int) position, null);
        Entry e = byKey.get(key);
        if (e != null && e.row().equals(Optional.of(new RowAt(file, position)))) {
            byKey.put(key, new Entry(e.change(), Optional.empty()));
            tombstones.add(key);
        }
    }

    /** {@code change} removed its key's row (or there was none): a tombstone. */
    public void tombstone(Change change) {
        get(change.key()).flatMap(Entry::row).ifPresent(r -> rowDeleted(r.file(), r.position()));
        byKey.put(change.key(), new Entry(change, Optional.empty()));
        tombstones.add(change.key());
    }

    /** Forgets the tombstones of changes before {@code eventTimeMicros} (memory is bounded by live rows). */
    public void forgetTombstonesBefore(long eventTimeMicros) {
        tombstones.removeIf(key -> {
            boolean old = byKey.get(key).change().eventTimeMicros() < eventTimeMicros;
            if (old) {
                byKey.remove(key);
            }
            return old;
        });
    }

    /** A data file is gone from the table (rewritten by maintenance): its keys' rows are unknown until re-read. */
    public void fileRemoved(String file) {
        List<String> keys = keysByFile.remove(file);
        if (keys == null) {
            return;
        }
        for (int pos = 0; pos < keys.size(); pos++) {
            String key = keys.get(pos);
            Entry e = key == null ? null : byKey.get(key);
            if (e != null && e.row().equals(Optional.of(new RowAt(file, pos)))) {
                byKey.remove(key);
                tombstones.remove(key);
            }
        }
    }
}
