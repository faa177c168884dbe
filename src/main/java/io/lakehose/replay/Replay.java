package io.lakehose.replay;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The replay: read the leases and the shards, refuse while a live worker holds leases (unless
 * forced), plan the new checkpoints, print them, and write them (unless a dry run).
 *
 * <p>Why this cannot duplicate rows: the worker skips, per shard and partition, every record an
 * object of the lake already holds (the committer's recovery, {@code commit.ShardCommitter#isCommitted}), so re-reading a range
 * that is in the lake writes nothing new, whatever the new checkpoint. The same rule decides what
 * a replay restores: records after the mark of their shard and directory (the end of its newest
 * object there), so a deleted newest object is written again and a deleted object below a newer
 * one is not (docs/design.md, "Recovery").
 */
public final class Replay {

    /** What was asked on the command line. */
    public record Request(ReplayTarget target, List<String> shards, boolean dryRun, boolean force) {
    }

    /**
     * How many times a forced write is tried: a live worker renews each lease it holds every third
     * of failoverTimeMillis, so a write whose counter a renewal made stale reads the leases again
     * and is tried again after a short pause; only workers that keep changing leases within
     * milliseconds of every read make all attempts fail.
     */
    static final int FORCED_WRITE_ATTEMPTS = 5;
    /** Pause before the second attempt, doubled before each further one (plus up to as much at random). */
    static final long FORCED_WRITE_BACKOFF_MILLIS = 100;

    private final LeaseTable leases;
    private final StreamShards stream;
    private final Duration failoverTime;
    private final Clock clock;
    private final PrintStream out;
    private final PrintStream progress;

    /**
     * @param failoverTime kinesis.failoverTimeMillis of the service: how long a lease must stand
     *     still before it counts as not held by a live worker
     * @param out the plan and the summary; {@code progress}: what it is waiting for
     */
    public Replay(LeaseTable leases, StreamShards stream, Duration failoverTime, Clock clock, PrintStream out,
            PrintStream progress) {
        this.leases = leases;
        this.stream = stream;
        this.failoverTime = failoverTime;
        this.clock = clock;
        this.out = out;
        this.progress = progress;
    }

    public ReplayPlan run(Request request) throws InterruptedException {
        ReplayTarget target = request.target();
        checkArguments(request);
        List<Lease> current = leases.read();
        if (current.isEmpty()) {
            throw new ReplayException(ReplayException.Kind.USAGE, "lease table " + leases.name() + " has no leases: "
                    + "the service has not run yet, and kinesis.initialPosition decides where it starts");
        }
        List<ShardInfo> shards = stream.list();
        ReplayPlanner.requireKnown(request.shards(), current, shards);
        if (target instanceof ReplayTarget.AtSequence seq) {
            checkSequence(shards, request.shards().get(0), seq.sequenceNumber());
        }
        if (request.force()) {
            progress.println("--force: not checking for a live worker; a worker holding these leases loses them "
                    + "and drops what it has not uploaded (it is read again)");
        } else if (LiveLeases.anyOwned(current)) {
            refuseIfLive(current, request.dryRun());
        }
        // Each shard's position is resolved once (AT_TIMESTAMP reads the stream), however often the
        // leases are read and planned again.
        Function<ShardInfo, String> position = once(positionOf(target));
        ReplayPlan plan = ReplayPlanner.plan(target, current, shards, request.shards(), position);
        if (request.force() && !request.dryRun()) {
            // Resolving the positions can take longer than a live worker's renewal interval: plan
            // on the counters as they are now, not as they were before.
            plan = ReplayPlanner.plan(target, leases.read(), shards, request.shards(), position);
        }
        plan.steps().forEach(step -> out.println(step.line()));
        if (request.dryRun()) {
            out.printf("dry run, nothing written: replay to %s would reset %d leases, create %d, leave %d unchanged%n",
                    target, plan.count(ReplayPlan.Action.RESET), plan.count(ReplayPlan.Action.CREATE),
                    plan.count(ReplayPlan.Action.UNCHANGED));
            return plan;
        }
        write(plan, request, shards, position);
        out.printf("replayed to %s: %d leases reset, %d created, %d unchanged in %s; the next start of the service "
                + "reads from there (records already in the lake are skipped)%n", target,
                plan.count(ReplayPlan.Action.RESET), plan.count(ReplayPlan.Action.CREATE),
                plan.count(ReplayPlan.Action.UNCHANGED), leases.name());
        return plan;
    }

    /**
     * Writes the plan. Every write is conditional on the lease counters read; when one fails
     * because a lease changed meanwhile, a replay without --force stops (a worker started after the
     * check for live workers). With --force, the leases are read again and planned again (same
     * positions) and the write is tried again, up to {@value #FORCED_WRITE_ATTEMPTS} times: a live
     * worker renews its leases every third of failoverTimeMillis, so a counter read once is stale
     * if the write comes later than that. Leases already written by a failed attempt plan as
     * unchanged the next time (or, if a worker moved them on meanwhile, are reset again).
     */
    private void write(ReplayPlan first, Request request, List<ShardInfo> shards, Function<ShardInfo, String> position)
            throws InterruptedException {
        ReplayPlan plan = first;
        for (int attempt = 1; ; attempt++) {
            try {
                leases.write(plan.steps());
                return;
            } catch (ReplayException e) {
                if (!e.leaseChanged()) {
                    throw e;
                }
                if (!request.force()) {
                    throw new ReplayException(ReplayException.Kind.REFUSED, e.getMessage() + "; a worker started "
                            + "after the check for live workers: stop the service and run replay again, or use --force");
                }
                if (attempt == FORCED_WRITE_ATTEMPTS) {
                    throw new ReplayException(ReplayException.Kind.REFUSED, "--force gave up after " + attempt
                            + " attempts, each read again and failed because a live worker changed a lease in between "
                            + "(last: " + e.getMessage() + "); stop the service's workers (or wait until they have "
                            + "stopped) and run replay again; leases already written keep their new checkpoints");
                }
                long pause = FORCED_WRITE_BACKOFF_MILLIS << (attempt - 1);
                progress.printf("%s; reading the leases again, attempt %d of %d in %d ms%n", e.getMessage(),
                        attempt + 1, FORCED_WRITE_ATTEMPTS, pause);
                Thread.sleep(pause + ThreadLocalRandom.current().nextLong(pause + 1));
                plan = ReplayPlanner.plan(request.target(), leases.read(), shards, request.shards(), position);
            }
        }
    }

    /** {@code position}, called at most once per shard. */
    private static Function<ShardInfo, String> once(Function<ShardInfo, String> position) {
        Map<String, String> resolved = new HashMap<>();
        return shard -> {
            String known = resolved.get(shard.shardId());
            if (known == null) {
                known = position.apply(shard);
                resolved.put(shard.shardId(), known);
            }
            return known;
        };
    }

    private Function<ShardInfo, String> positionOf(ReplayTarget target) {
        if (target instanceof ReplayTarget.AtTimestamp t) {
            ShardPositions positions = new ShardPositions(stream);
            return s -> positions.checkpointAt(s, t.instant());
        }
        if (target instanceof ReplayTarget.AtSequence q) {
            return s -> q.sequenceNumber();
        }
        if (target instanceof ReplayTarget.Latest) {
            // A closed shard has no "latest": nothing will arrive, so it is done.
            return s -> s.closed() ? Checkpoints.SHARD_END : Checkpoints.LATEST;
        }
        return s -> Checkpoints.TRIM_HORIZON;
    }

    private void checkArguments(Request request) {
        if (request.target() instanceof ReplayTarget.AtSequence && request.shards().size() != 1) {
            throw new ReplayException(ReplayException.Kind.USAGE, "a sequence number belongs to one shard: "
                    + "give exactly one --shard with --to <sequence-number>");
        }
        if (request.target() instanceof ReplayTarget.AtTimestamp t && t.instant().isAfter(clock.instant())) {
            throw new ReplayException(ReplayException.Kind.USAGE, "--to AT_TIMESTAMP=" + t.instant()
                    + " is in the future; use LATEST to skip to the newest records");
        }
    }

    private void checkSequence(List<ShardInfo> shards, String shardId, String sequence) {
        ShardInfo shard = shards.stream().filter(s -> s.shardId().equals(shardId)).findFirst()
                .orElseThrow(() -> new ReplayException(ReplayException.Kind.USAGE, "unknown --shard " + shardId
                        + ": the stream has no such shard (shards: " + shards.stream().map(ShardInfo::shardId)
                        .limit(20).collect(Collectors.joining(", ")) + ")"));
        boolean inRange = Checkpoints.compareSequences(sequence, shard.startingSequence()) >= 0
                && (shard.endingSequence() == null || Checkpoints.compareSequences(sequence, shard.endingSequence()) <= 0);
        if (!inRange) {
            throw new ReplayException(ReplayException.Kind.USAGE, "sequence number " + sequence + " is not in "
                    + shardId + " (its sequence numbers run from " + shard.startingSequence() + " to "
                    + (shard.endingSequence() == null ? "now" : shard.endingSequence()) + ")");
        }
        stream.checkSequence(shard, sequence);
    }

    /**
     * Watches the leases; refuses (or, in a dry run, warns) if a live worker holds any. The plan
     * keeps the counters read before the watch, so the conditional write also fails if anything
     * moved after the watch ended.
     */
    private void refuseIfLive(List<Lease> current, boolean dryRun) throws InterruptedException {
        progress.printf("checking for a live worker: watching the leases for up to %.1f s (kinesis.failoverTimeMillis)%n",
                failoverTime.toMillis() / 1000.0);
        Map<String, String> live = new LiveLeases(leases::read, failoverTime, Thread::sleep).find(current);
        if (!live.isEmpty()) {
            String held = live.entrySet().stream().collect(Collectors.groupingBy(Map.Entry::getValue, TreeMap::new,
                    Collectors.mapping(Map.Entry::getKey, Collectors.joining(", ")))).entrySet().stream()
                    .map(e -> e.getValue() + " (worker " + e.getKey() + ")").collect(Collectors.joining("; "));
            String message = "a live worker holds leases in " + leases.name() + ": " + held + "; stop the service "
                    + "(then wait " + failoverTime.toMillis() / 1000.0 + " s, kinesis.failoverTimeMillis) and run replay "
                    + "again, or use --force to take the leases from it";
            if (!dryRun) {
                throw new ReplayException(ReplayException.Kind.REFUSED, message);
            }
            progress.println("warning: " + message);
        }
    }
}
