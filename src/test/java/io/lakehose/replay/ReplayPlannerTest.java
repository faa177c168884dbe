package io.lakehose.replay;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The planner's decisions, on lease tables as KCL leaves them after a split (no AWS). */
class ReplayPlannerTest {

    // shard-0 was split into shard-2 and shard-3; shard-1 is open and untouched.
    private static final ShardInfo S0 = shard("shard-0", List.of(), "100", "199");
    private static final ShardInfo S1 = shard("shard-1", List.of(), "101", null);
    private static final ShardInfo S2 = shard("shard-2", List.of("shard-0"), "200", null);
    private static final ShardInfo S3 = shard("shard-3", List.of("shard-0"), "201", null);
    private static final List<ShardInfo> STREAM = List.of(S3, S2, S1, S0);

    @Test
    void trimHorizonResetsClosedParentsBeforeTheirChildren() {
        List<Lease> leases = List.of(lease("shard-0", "SHARD_END"), lease("shard-1", "150"),
                lease("shard-2", "250", "shard-0"), lease("shard-3", "TRIM_HORIZON", "shard-0"));
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.TrimHorizon(), leases, STREAM, List.of(), s -> "TRIM_HORIZON");

        assertThat(plan.steps()).extracting(ReplayPlan.Step::shardId).containsExactly("shard-0", "shard-1", "shard-2", "shard-3");
        assertThat(newCheckpoints(plan)).containsOnly(Map.entry("shard-0", "TRIM_HORIZON"), Map.entry("shard-1", "TRIM_HORIZON"),
                Map.entry("shard-2", "TRIM_HORIZON"), Map.entry("shard-3", "TRIM_HORIZON"));
        assertThat(plan.steps()).extracting(ReplayPlan.Step::action).containsExactly(ReplayPlan.Action.RESET,
                ReplayPlan.Action.RESET, ReplayPlan.Action.RESET, ReplayPlan.Action.UNCHANGED);
        assertThat(plan.steps().get(0).line()).isEqualTo("shard-0: SHARD_END -> TRIM_HORIZON");
    }

    @Test
    void aParentWhoseLeaseKclDeletedGetsANewOne() {
        List<Lease> leases = List.of(lease("shard-1", "150"), lease("shard-2", "250", "shard-0"),
                lease("shard-3", "260", "shard-0"));
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.TrimHorizon(), leases, STREAM, List.of(), s -> "TRIM_HORIZON");

        ReplayPlan.Step parent = plan.steps().get(0);
        assertThat(parent.shardId()).isEqualTo("shard-0");
        assertThat(parent.action()).isEqualTo(ReplayPlan.Action.CREATE);
        assertThat(parent.line()).startsWith("shard-0: (no lease) -> TRIM_HORIZON");
    }

    @Test
    void childrenFollowASelectedParentBackAndArePositionedWithoutAsking() {
        List<Lease> leases = List.of(lease("shard-0", "SHARD_END"), lease("shard-1", "150"),
                lease("shard-2", "250", "shard-0"), lease("shard-3", "260", "shard-0"));
        List<String> asked = new ArrayList<>();
        Function<ShardInfo, String> position = s -> {
            asked.add(s.shardId());
            return "120";
        };
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.AtSequence("120"), leases, STREAM, List.of("shard-0"), position);

        assertThat(asked).containsExactly("shard-0");
        assertThat(newCheckpoints(plan)).containsOnly(Map.entry("shard-0", "120"), Map.entry("shard-2", "TRIM_HORIZON"),
                Map.entry("shard-3", "TRIM_HORIZON"));
        assertThat(plan.steps().get(1).note()).contains("child of shard-0");
    }

    @Test
    void aParentLeftAtShardEndKeepsItsChildren() {
        List<Lease> leases = List.of(lease("shard-0", "SHARD_END"), lease("shard-2", "250", "shard-0"),
                lease("shard-3", "260", "shard-0"), lease("shard-1", "150"));
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.Latest(), leases, STREAM, List.of(),
                s -> s.closed() ? "SHARD_END" : "LATEST");

        assertThat(newCheckpoints(plan)).containsOnly(Map.entry("shard-0", "SHARD_END"), Map.entry("shard-1", "LATEST"),
                Map.entry("shard-2", "LATEST"), Map.entry("shard-3", "LATEST"));
        assertThat(plan.count(ReplayPlan.Action.UNCHANGED)).isEqualTo(1);
    }

    @Test
    void aPendingCheckpointIsClearedEvenWhenTheCheckpointStays() {
        Lease pending = new Lease("shard-1", null, 7, "TRIM_HORIZON", 0, List.of(), true);
        ReplayPlan plan = ReplayPlanner.plan(new ReplayTarget.TrimHorizon(), List.of(pending), List.of(S1), List.of(),
                s -> "TRIM_HORIZON");
        assertThat(plan.steps().get(0).action()).isEqualTo(ReplayPlan.Action.RESET);
    }

    @Test
    void anUnknownShardIsRefusedByName() {
        assertThatThrownBy(() -> ReplayPlanner.plan(new ReplayTarget.TrimHorizon(), List.of(lease("shard-1", "150")), STREAM,
                List.of("shard-9"), s -> "TRIM_HORIZON"))
                .isInstanceOf(ReplayException.class).hasMessageContaining("unknown --shard shard-9")
                .hasMessageContaining("shard-0, shard-1");
    }

    private static Map<String, String> newCheckpoints(ReplayPlan plan) {
        return plan.steps().stream().collect(Collectors.toMap(ReplayPlan.Step::shardId, ReplayPlan.Step::newCheckpoint));
    }

    private static ShardInfo shard(String id, List<String> parents, String first, String last) {
        return new ShardInfo(id, parents, "0", "1", first, last);
    }

    private static Lease lease(String id, String checkpoint, String... parents) {
        return new Lease(id, "worker-a", 3, checkpoint, 0, List.of(parents), false);
    }
}
