package io.lakehose.replay;

import io.lakehose.pipeline.PipelineStats;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.WorkerHarness;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.lakehose.testing.Await.join;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lakehose replay} across a reshard: after a split, the parents are read again before
 * their children, and every record is once in the lake.
 */
class ReplayAfterReshardTest extends ReplayTestBase {

    @Test
    void afterASplitParentsAreReadAgainBeforeTheirChildren() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-split", 2);
        List<String> put = new ArrayList<>(h.put(changes(0, 200)));
        List<Shard> parents = shards(h.stream());
        for (Shard p : parents) {
            String mid = new BigInteger(p.hashKeyRange().startingHashKey())
                    .add(new BigInteger(p.hashKeyRange().endingHashKey())).shiftRight(1).toString();
            join(aws.kinesis().client().splitShard(b -> b.streamName(h.stream()).shardToSplit(p.shardId())
                    .newStartingHashKey(mid)));
            aws.kinesis().awaitActive(h.stream());
        }
        List<String> children = shards(h.stream()).stream().map(Shard::shardId)
                .filter(id -> parents.stream().noneMatch(p -> p.shardId().equals(id))).toList();
        assertThat(children).hasSize(4);
        put.addAll(h.put(changes(200, 200)));
        Map<String, String> atEnd = new HashMap<>(WorkerHarness.lastSequenceByShard(put));
        parents.forEach(p -> atEnd.put(p.shardId(), "SHARD_END"));
        assertThat(atEnd.keySet()).as("every child got records").containsAll(children);
        runToCheckpoints(h, atEnd);

        // KCL deletes a finished parent's lease some minutes after its children started: do that now to one.
        String cleanedUp = parents.get(0).shardId();
        String ended = parents.get(1).shardId();
        join(aws.dynamoDb().client().deleteItem(b -> b.tableName(h.application())
                .key(Map.of("leaseKey", AttributeValue.fromS(cleanedUp)))));

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        assertThat(replay.outLines()).contains(cleanedUp + ": (no lease) -> TRIM_HORIZON  (new lease)",
                ended + ": SHARD_END -> TRIM_HORIZON");
        List<String> printed = replay.outLines().stream().map(l -> l.split(":")[0]).toList();
        for (Shard p : parents) {
            assertThat(printed.indexOf(p.shardId())).as("parents first").isLessThan(printed.indexOf(childOf(p, h)));
        }
        assertThat(h.checkpoints()).containsOnlyKeys(atEnd.keySet())
                .allSatisfy((k, v) -> assertThat(v).isEqualTo("TRIM_HORIZON"));

        // While the worker re-reads, no child moves off TRIM_HORIZON before its parent shows SHARD_END.
        Map<String, Integer> parentEnded = new TreeMap<>();
        Map<String, Integer> childStarted = new TreeMap<>();
        int[] poll = {0};
        PipelineStats again = runToCheckpoints(h, atEnd, checkpoints -> {
            poll[0]++;
            checkpoints.forEach((shard, cp) -> {
                if (parents.stream().anyMatch(p -> p.shardId().equals(shard)) && cp.equals("SHARD_END")) {
                    parentEnded.putIfAbsent(shard, poll[0]);
                } else if (children.contains(shard) && !cp.equals("TRIM_HORIZON")) {
                    childStarted.putIfAbsent(shard, poll[0]);
                }
            });
        });
        Map<String, List<String>> parentsOf = new HashMap<>();
        for (Shard s : shards(h.stream())) {
            parentsOf.put(s.shardId(), s.parentShardId() == null ? List.of() : List.of(s.parentShardId()));
        }
        for (String child : children) {
            String parent = parentsOf.get(child).get(0);
            assertThat(parentEnded).containsKey(parent);
            assertThat(childStarted.get(child)).as("poll at which " + child + " started, after " + parent + " ended")
                    .isGreaterThanOrEqualTo(parentEnded.get(parent));
        }
        assertThat(again.records.sum()).isEqualTo(400);
        assertThat(again.skipped.sum()).isEqualTo(400);
        assertExactlyOnce(h, put);
    }
}
