package io.lakehose.metrics;

import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.ShardCounts;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-shard meters follow the leases: they appear with a lease and go with it. */
class ShardMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PipelineStats stats = new PipelineStats(registry);
    private final Map<String, Long> behind = new HashMap<>();
    private final Map<String, Long> checkpointed = new HashMap<>();
    private final Map<String, Long> pendingSince = new HashMap<>();
    private final ShardMeters meters = new ShardMeters(registry, "orders", stats::shards, () -> Map.copyOf(behind),
            () -> Map.copyOf(checkpointed), () -> Map.copyOf(pendingSince), () -> 10_000L);

    @Test
    void aShardsCountersCarryStreamAndShardAndCountItsRecords() {
        ShardCounts a = stats.shardStarted("shardId-a");
        ShardCounts b = stats.shardStarted("shardId-b");
        meters.refresh();
        a.received.add(3);
        a.written.add(2);
        b.received.add(5);

        assertThat(counter("lakehose.records.received", "shardId-a").count()).isEqualTo(3);
        assertThat(counter("lakehose.records.written", "shardId-a").count()).isEqualTo(2);
        assertThat(counter("lakehose.records.received", "shardId-b").count()).isEqualTo(5);
        assertThat(counter("lakehose.records.received", "shardId-a").getId().getTag("stream")).isEqualTo("orders");
    }

    @Test
    void aReleasedLeaseTakesItsMetersWithIt() {
        ShardCounts a = stats.shardStarted("shardId-a");
        stats.shardStarted("shardId-b");
        behind.put("shardId-a", 2_000L);
        behind.put("shardId-b", -1L); // not known yet: no gauge
        checkpointed.put("shardId-a", 4_000L);
        checkpointed.put("shardId-b", 9_000L);
        pendingSince.put("shardId-a", 7_500L); // shardId-b: every record durable
        meters.refresh();
        assertThat(registry.get("lakehose.pending.age").tag("shard", "shardId-a").gauge().value()).isEqualTo(2.5);
        assertThat(registry.get("lakehose.pending.age").tag("shard", "shardId-b").gauge().value()).isZero();
        assertThat(registry.get("lakehose.iterator.age").tag("shard", "shardId-a").gauge().value()).isEqualTo(2.0);
        assertThat(registry.get("lakehose.checkpoint.age").tag("shard", "shardId-a").gauge().value()).isEqualTo(6.0);
        assertThat(shardsOf("lakehose.iterator.age")).containsExactly("shardId-a");
        assertThat(shardsOf("lakehose.records.received")).containsExactly("shardId-a", "shardId-b");

        stats.shardReleased("shardId-a", a);
        behind.remove("shardId-a");
        checkpointed.remove("shardId-a");
        pendingSince.remove("shardId-a");
        meters.refresh();

        for (String name : new String[] {"lakehose.records.received", "lakehose.records.written",
                "lakehose.iterator.age", "lakehose.checkpoint.age", "lakehose.pending.age"}) {
            assertThat(shardsOf(name)).as(name).doesNotContain("shardId-a");
        }
        assertThat(shardsOf("lakehose.records.received")).containsExactly("shardId-b");
    }

    @Test
    void aNewLeaseOfTheSameShardStartsFreshCountsAndOutlivesTheOldOnesRelease() {
        ShardCounts old = stats.shardStarted("shardId-a");
        meters.refresh();
        old.received.add(7);

        ShardCounts renewed = stats.shardStarted("shardId-a"); // taken again before the old lease finished
        stats.shardReleased("shardId-a", old); // the old lease ends later: must not remove the new one
        meters.refresh();
        renewed.received.add(1);

        assertThat(counter("lakehose.records.received", "shardId-a").count()).isEqualTo(1);
        assertThat(registry.find("lakehose.records.received").functionCounters()).hasSize(1);
    }

    private FunctionCounter counter(String name, String shard) {
        return registry.get(name).tag("shard", shard).functionCounter();
    }

    private Set<String> shardsOf(String name) {
        Set<String> shards = new TreeSet<>();
        for (Meter m : registry.find(name).meters()) {
            shards.add(m.getId().getTag("shard"));
        }
        return shards;
    }
}
