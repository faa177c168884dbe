package io.lakehose.replay;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Decides the new checkpoint of every shard (pure: no AWS calls except through {@code position}).
 *
 * <p>Resharding: KCL 2.x starts a child shard only once the leases of its parents show
 * SHARD_END (or are gone). So when a replay moves a shard back to before its end, its children
 * (and theirs) go back to TRIM_HORIZON, even when not selected: otherwise they would keep their
 * checkpoints and run ahead of the parent being re-read, and they could not be re-read at all
 * later without another replay. The lake skips records it already holds, so re-reading a child
 * from its start duplicates nothing. A closed parent whose lease KCL already deleted (after its
 * children started) gets a new lease, or it would never be re-read.
 */
final class ReplayPlanner {

    private ReplayPlanner() {
    }

    /**
     * @param selected the shards asked for ({@code --shard}); empty means every shard
     * @param position the target's checkpoint for a shard of the stream (called parents first,
     *     only for shards that do not simply follow their parent)
     */
    static ReplayPlan plan(ReplayTarget target, Collection<Lease> leases, Collection<ShardInfo> shards,
            Collection<String> selected, Function<ShardInfo, String> position) {
        Map<String, Lease> leaseById = new TreeMap<>();
        leases.forEach(l -> leaseById.put(l.shardId(), l));
        Map<String, ShardInfo> shardById = new TreeMap<>();
        shards.forEach(s -> shardById.put(s.shardId(), s));
        Map<String, Set<String>> parents = new TreeMap<>();
        leaseById.values().forEach(l -> parents.computeIfAbsent(l.shardId(), k -> new TreeSet<>()).addAll(l.parentShardIds()));
        shardById.values().forEach(s -> parents.computeIfAbsent(s.shardId(), k -> new TreeSet<>()).addAll(s.parentShardIds()));

        requireKnown(selected, parents.keySet());
        Set<String> chosen = selected.isEmpty() ? parents.keySet() : new LinkedHashSet<>(selected);

        Map<String, String> newCheckpoint = new LinkedHashMap<>();
        List<ReplayPlan.Step> steps = new ArrayList<>();
        for (String id : parentsFirst(parents)) {
            String rereadParent = parents.get(id).stream()
                    .filter(p -> newCheckpoint.containsKey(p) && !Checkpoints.SHARD_END.equals(newCheckpoint.get(p)))
                    .findFirst().orElse(null);
            if (!chosen.contains(id) && rereadParent == null) {
                continue;
            }
            Lease lease = leaseById.get(id);
            ShardInfo shard = shardById.get(id);
            if (shard == null) {
                // Trimmed from the stream: nothing left to read, and KCL cleans such leases up.
                steps.add(new ReplayPlan.Step(id, lease, null, lease.checkpoint(), ReplayPlan.Action.UNCHANGED,
                        "no longer in the stream"));
                continue;
            }
            String cp = rereadParent != null ? Checkpoints.TRIM_HORIZON : position.apply(shard);
            String note = rereadParent != null ? "child of " + rereadParent + ", which is read again first" : null;
            newCheckpoint.put(id, cp);
            steps.add(step(lease, shard, cp, note));
        }
        return new ReplayPlan(target, steps);
    }

    /** Fails with a one-line message naming the first --shard that neither the stream nor the lease table has. */
    static void requireKnown(Collection<String> selected, Collection<Lease> leases, Collection<ShardInfo> shards) {
        Set<String> known = new TreeSet<>();
        leases.forEach(l -> known.add(l.shardId()));
        shards.forEach(s -> known.add(s.shardId()));
        requireKnown(selected, known);
    }

    private static void requireKnown(Collection<String> selected, Set<String> known) {
        for (String id : selected) {
            if (!known.contains(id)) {
                throw new ReplayException(ReplayException.Kind.USAGE, "unknown --shard " + id + ": neither the stream "
                        + "nor the lease table has it (shards: " + known.stream().limit(20).collect(Collectors.joining(", "))
                        + (known.size() > 20 ? ", ..." : "") + ")");
            }
        }
    }

    private static ReplayPlan.Step step(Lease lease, ShardInfo shard, String cp, String note) {
        if (lease == null) {
            return Checkpoints.SHARD_END.equals(cp)
                    ? new ReplayPlan.Step(shard.shardId(), null, shard, cp, ReplayPlan.Action.UNCHANGED,
                            join(note, "nothing to read, no lease needed"))
                    : new ReplayPlan.Step(shard.shardId(), null, shard, cp, ReplayPlan.Action.CREATE, join(note, "new lease"));
        }
        boolean same = cp.equals(lease.checkpoint()) && lease.subSequence() == 0 && !lease.hasPendingCheckpoint();
        return new ReplayPlan.Step(shard.shardId(), lease, shard, cp, same ? ReplayPlan.Action.UNCHANGED : ReplayPlan.Action.RESET,
                same ? join(note, "unchanged") : note);
    }

    private static String join(String a, String b) {
        return a == null ? b : a + "; " + b;
    }

    /** Shard ids ordered so that every shard comes after its parents (ties by id). */
    private static List<String> parentsFirst(Map<String, Set<String>> parents) {
        List<String> order = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        for (String id : parents.keySet()) {
            visit(id, parents, done, order);
        }
        return order;
    }

    private static void visit(String id, Map<String, Set<String>> parents, Set<String> done, List<String> order) {
        if (!done.add(id)) {
            return;
        }
        for (String p : parents.getOrDefault(id, Set.of())) {
            if (parents.containsKey(p)) {
                visit(p, parents, done, order);
            }
        }
        order.add(id);
    }
}
