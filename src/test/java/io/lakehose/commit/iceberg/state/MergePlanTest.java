package io.lakehose.commit.iceberg.state;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The merge rule and the per-commit plan, over a corpus split into commits in every order. */
class MergePlanTest {

    private static Change c(String key, String event, long time, String shard, long seq) {
        return new Change(key, event, time, shard, SequenceNumber.of(seq), Optional.empty());
    }

    private static Change v(String key, String event, long time, long version) {
        return new Change(key, event, time, "shardId-000000000001", SequenceNumber.of(time),
                Optional.of(BigDecimal.valueOf(version)));
    }

    /** A table as the plans leave it: rows per file, minus deleted positions. */
    private static final class Table {
        final StateIndex index = new StateIndex();
        final Map<String, List<Change>> files = new HashMap<>();
        final Set<StateIndex.RowAt> deleted = new HashSet<>();
        final boolean keepTombstones;
        int commits;

        Table(boolean keepTombstones) {
            this.keepTombstones = keepTombstones;
        }

        void commit(List<Change> changes) {
            MergePlan plan = MergePlan.of(changes, index, keepTombstones);
            String file = "f" + commits++;
            for (StateIndex.RowAt d : plan.deletes()) {
                assertThat(deleted.add(d)).as("a row is deleted once").isTrue();
            }
            files.put(file, plan.rows());
            List<StateIndex.RowAt> at = new ArrayList<>();
            for (int pos = 0; pos < plan.rows().size(); pos++) {
                at.add(new StateIndex.RowAt(file, pos));
            }
            plan.applyTo(index, at);
        }

        /** key -> "event@time/shard/seq" of every live row; fails on two rows of one key. */
        Map<String, String> live() {
            Map<String, String> rows = new TreeMap<>();
            files.forEach((file, list) -> {
                for (int pos = 0; pos < list.size(); pos++) {
                    if (!deleted.contains(new StateIndex.RowAt(file, pos))) {
                        Change ch = list.get(pos);
                        assertThat(rows.put(ch.key(), describe(ch))).as("one row per key: " + ch.key()).isNull();
                    }
                }
            });
            return rows;
        }
    }

    private static String describe(Change ch) {
        return ch.eventName() + "@" + ch.eventTimeMicros() + "/" + ch.shardId() + "/" + ch.sequence();
    }

    /** Independently: the newest change per key by sorting all of them, REMOVE excluded unless kept. */
    private static Map<String, String> reference(List<Change> all, boolean keepTombstones) {
        Map<String, List<Change>> byKey = new HashMap<>();
        all.forEach(ch -> byKey.computeIfAbsent(ch.key(), k -> new ArrayList<>()).add(ch));
        Map<String, String> expected = new TreeMap<>();
        byKey.forEach((key, list) -> {
            Change newest = Collections.max(list, MergeRule.INSTANCE);
            if (keepTombstones || !newest.isRemove()) {
                expected.put(key, describe(newest));
            }
        });
        return expected;
    }

    /** Keys with changes out of order across commits, duplicates, deletes then re-inserts, a reshard, backfill rows. */
    private static List<Change> corpus(Random random) {
        List<Change> all = new ArrayList<>();
        String[] shards = {"shardId-000000000003", "shardId-000000000007", "shardId-000000000011", "snapshot-r1-s0000"};
        long[] seqs = new long[shards.length];
        for (int i = 0; i < 2000; i++) {
            String key = "{\"pk\":\"k" + random.nextInt(150) + "\"}";
            int s = random.nextInt(shards.length);
            String event = s == 3 ? Change.SNAPSHOT
                    : switch (random.nextInt(4)) {
                        case 0 -> "INSERT";
                        case 1 -> Change.REMOVE;
                        default -> "MODIFY";
                    };
            long time = 1_000_000L * random.nextInt(40); // coarse: many ties of event time
            Change ch = c(key, event, time, shards[s], ++seqs[s]);
            all.add(ch);
            if (random.nextInt(10) == 0) {
                all.add(ch); // delivered twice
            }
        }
        return all;
    }

    @Test
    void everyOrderAndEverySplitIntoCommitsGivesTheReferenceTable() {
        for (boolean keep : new boolean[] {false, true}) {
            for (int seed = 0; seed < 20; seed++) {
                Random random = new Random(seed);
                List<Change> all = corpus(random);
                Collections.shuffle(all, random);
                Table table = new Table(keep);
                for (int from = 0; from < all.size(); ) {
                    int to = Math.min(all.size(), from + 1 + random.nextInt(300));
                    table.commit(all.subList(from, to));
                    from = to;
                }
                // A replay of an already committed range changes nothing.
                table.commit(all.subList(0, all.size() / 3));
                assertThat(table.live()).as("seed %d, keep tombstones %s", seed, keep).isEqualTo(reference(all, keep));
            }
        }
    }

    @Test
    void aRepeatedChangeIsANoOp() {
        Table table = new Table(false);
        Change put = c("k", "INSERT", 5, "shardId-000000000001", 1);
        table.commit(List.of(put));
        MergePlan again = MergePlan.of(List.of(put, put), table.index, false);
        assertThat(again.isEmpty()).isTrue();
    }

    @Test
    void anOlderChangeArrivingAfterARemoveDoesNotBringTheItemBack() {
        Table table = new Table(false);
        table.commit(List.of(c("k", "INSERT", 1, "shardId-000000000001", 1)));
        table.commit(List.of(c("k", Change.REMOVE, 9, "shardId-000000000001", 3)));
        table.commit(List.of(c("k", "MODIFY", 5, "shardId-000000000001", 2)));
        assertThat(table.live()).isEmpty();
        table.commit(List.of(c("k", "INSERT", 10, "shardId-000000000001", 4))); // re-inserted
        assertThat(table.live()).containsOnlyKeys("k");
    }

    @Test
    void aTtlDeleteIsARemove() {
        Table table = new Table(false);
        table.commit(List.of(c("k", "INSERT", 1, "shardId-000000000001", 1)));
        table.commit(List.of(c("k", Change.REMOVE, 2, "shardId-000000000001", 2))); // principal dynamodb.amazonaws.com
        assertThat(table.live()).isEmpty();
        Table kept = new Table(true);
        kept.commit(List.of(c("k", "INSERT", 1, "shardId-000000000001", 1)));
        kept.commit(List.of(c("k", Change.REMOVE, 2, "shardId-000000000001", 2)));
        assertThat(kept.live()).containsEntry("k", "REMOVE@2/shardId-000000000001/2");
    }

    @Test
    void tiesOfEventTime() {
        // Within a shard: the higher sequence number.
        assertThat(MergeRule.INSTANCE.newer(c("k", "MODIFY", 5, "shardId-000000000001", 8),
                c("k", "MODIFY", 5, "shardId-000000000001", 7)).sequence()).isEqualTo(SequenceNumber.of(8));
        // Across shards: the higher shard number, whatever the sequence numbers.
        assertThat(MergeRule.INSTANCE.newer(c("k", "MODIFY", 5, "shardId-000000000012", 1),
                c("k", "MODIFY", 5, "shardId-000000000009", 900)).shardId()).isEqualTo("shardId-000000000012");
        // A stream change beats a backfill row of the same time; a backfill row beats an older change.
        assertThat(MergeRule.INSTANCE.newer(c("k", Change.SNAPSHOT, 5, "snapshot-r-s0", 1),
                c("k", "MODIFY", 5, "shardId-000000000001", 1)).eventName()).isEqualTo("MODIFY");
        assertThat(MergeRule.INSTANCE.newer(c("k", Change.SNAPSHOT, 5, "snapshot-r-s0", 1),
                c("k", "MODIFY", 4, "shardId-000000000001", 1)).eventName()).isEqualTo(Change.SNAPSHOT);
    }

    @Test
    void theOrderAttributeDecidesBeforeTheEventTime() {
        Table table = new Table(false);
        table.commit(List.of(v("k", "MODIFY", 100, 7)));
        table.commit(List.of(v("k", "MODIFY", 200, 6))); // later clock, older version
        assertThat(table.index.get("k").orElseThrow().change().order()).contains(BigDecimal.valueOf(7));
        // A REMOVE carries the version it deleted: the same version, later, so it wins.
        table.commit(List.of(v("k", Change.REMOVE, 150, 7)));
        assertThat(table.live()).isEmpty();
        // Numbers compare as numbers: 10 is newer than 9.
        assertThat(MergeRule.INSTANCE.newer(v("k", "MODIFY", 1, 9), v("k", "MODIFY", 1, 10)).order())
                .contains(BigDecimal.valueOf(10));
    }

    @Test
    void shardNumbers() {
        assertThat(MergeRule.shardNumber("shardId-000000000042")).isEqualTo(42);
        assertThat(MergeRule.shardNumber("snapshot-r1-s0003")).isEqualTo(-1);
        assertThat(MergeRule.shardNumber("local")).isEqualTo(-1);
    }
}
