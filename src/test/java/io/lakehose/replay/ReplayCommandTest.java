package io.lakehose.replay;

import io.lakehose.pipeline.PipelineStats;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.WorkerHarness;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lakehose replay} to TRIM_HORIZON against real in-process workers: every record once in
 * the lake afterwards (the re-read records counted as skipped), which deleted objects a replay
 * writes again, --dry-run, and the one-line errors of bad arguments.
 */
class ReplayCommandTest extends ReplayTestBase {

    @Test
    void replayToTrimHorizonRereadsEverythingWithoutDuplicatingARow() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-th", 2);
        List<String> put = h.put(changes(0, 400));
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        assertThat(runToCheckpoints(h, atEnd).records.sum()).isEqualTo(400);

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        for (Map.Entry<String, String> shard : atEnd.entrySet()) {
            assertThat(replay.outLines()).contains(shard.getKey() + ": " + shard.getValue() + " -> TRIM_HORIZON");
        }
        assertThat(replay.out).contains("replayed to TRIM_HORIZON: 2 leases reset, 0 created, 0 unchanged");
        assertThat(h.checkpoints()).containsOnlyKeys(atEnd.keySet()).allSatisfy((k, v) -> assertThat(v).isEqualTo("TRIM_HORIZON"));
        assertThat(leases(h).values()).as("owners removed, so a new worker takes the leases at once")
                .allSatisfy(item -> assertThat(item).doesNotContainKey("leaseOwner"));

        PipelineStats again = runToCheckpoints(h, atEnd);
        assertThat(again.records.sum()).as("records read again").isEqualTo(400);
        assertThat(again.skipped.sum()).as("records skipped as already in the lake").isEqualTo(400);
        assertThat(again.rows.sum()).as("rows written by the replayed run").isZero();
        assertExactlyOnce(h, put);
        assertThat(h.checkpoints()).isEqualTo(atEnd);
    }

    @Test
    void replayReWritesAShardsDeletedLastObjectButNotADeletedObjectBelowItsNewest() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-deleted", 2);
        String hour = h.stream() + "/table=orders/dt=2024-11-25/hour=08";
        List<String> put = new ArrayList<>();
        // Three batches in one hour partition, each committed before the next is put: every shard's
        // chain of objects there has at least three links.
        try (RunningWorker worker = new RunningWorker(h)) {
            for (int batch = 0; batch < 3; batch++) {
                put.addAll(h.put(changes(100 + 60 * batch, 60)));
                worker.awaitCheckpoints(WorkerHarness.lastSequenceByShard(put), c -> { });
            }
        }
        // The README's layout: <directory>/<stream>~<shard>~<first record, base 36, 37 characters>.parquet
        Pattern layout = Pattern.compile(Pattern.quote(hour + "/" + h.stream() + "~")
                + "(shardId-\\d+)~[0-9a-z]{37}\\.parquet");
        Map<String, List<String>> chains = new TreeMap<>();
        for (S3Object o : aws.s3().client().listObjectsV2Paginator(b -> b.bucket(aws.s3().bucket())
                .prefix(hour + "/")).contents()) {
            Matcher m = layout.matcher(o.key());
            assertThat(m.matches()).as("layout of %s", o.key()).isTrue();
            chains.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(o.key());
        }
        chains.values().forEach(Collections::sort);
        assertThat(chains).hasSize(2).allSatisfy((shard, keys) -> assertThat(keys).hasSizeGreaterThanOrEqualTo(3));
        String middleShard = chains.keySet().stream().findFirst().orElseThrow();
        String lastShard = chains.keySet().stream().skip(1).findFirst().orElseThrow();
        String middle = chains.get(middleShard).get(1);
        String last = chains.get(lastShard).get(chains.get(lastShard).size() - 1);
        List<String> inMiddle = recordsOf(h, hour, middleShard, middle, put);
        List<String> inLast = recordsOf(h, hour, lastShard, last, put);
        assertThat(inMiddle).isNotEmpty();
        assertThat(inLast).isNotEmpty();
        Map<String, String> lastMetadata = metadata(last);
        for (String key : List.of(middle, last)) {
            aws.s3().client().deleteObject(b -> b.bucket(aws.s3().bucket()).key(key));
        }

        CommandRun replay = replay(h, "--to", "TRIM_HORIZON");
        assertThat(replay.exit).as(replay.err).isZero();
        PipelineStats again = runToCheckpoints(h, WorkerHarness.lastSequenceByShard(put));

        assertThat(again.rows.sum()).as("rows written again: the deleted last object's").isEqualTo(inLast.size());
        assertThat(again.skipped.sum()).isEqualTo(put.size() - inLast.size());
        assertThat(metadata(last)).as("the last object is back under its key, with its range")
                .containsEntry("lakehose-last", lastMetadata.get("lakehose-last"));
        assertThat(aws.s3().client().listObjectsV2(b -> b.bucket(aws.s3().bucket()).prefix(middle)).contents())
                .as("a deleted object below the shard's newest in its directory is not restored").isEmpty();
        List<String> expected = new ArrayList<>(put);
        expected.removeAll(inMiddle);
        List<String> rows = h.rowsNow();
        assertThat(rows).doesNotHaveDuplicates();
        assertThat(new HashSet<>(rows)).isEqualTo(new HashSet<>(expected));
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-dry", 2);
        Map<String, Map<String, AttributeValue>> before = leases(h);

        CommandRun dry = replay(h, "--to", "LATEST", "--dry-run");
        assertThat(dry.exit).as(dry.err).isZero();
        for (String shard : before.keySet()) {
            assertThat(dry.outLines()).contains(shard + ": TRIM_HORIZON -> LATEST");
        }
        assertThat(dry.outLines()).last().asString().startsWith("dry run, nothing written").contains("would reset 2 leases");
        assertThat(leases(h)).as("lease items after a dry run").isEqualTo(before);

        // The same without --dry-run does what the plan said.
        CommandRun real = replay(h, "--to", "LATEST");
        assertThat(real.exit).as(real.err).isZero();
        assertThat(h.checkpoints()).containsOnlyKeys(before.keySet()).allSatisfy((k, v) -> assertThat(v).isEqualTo("LATEST"));
    }

    @Test
    void badArgumentsAreOneLineErrors() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-bad", 2);
        List<String> put = h.put(changes(0, 20));
        Map<String, Map<String, AttributeValue>> before = leases(h);
        List<String> shardIds = new ArrayList<>(before.keySet());
        String[] record = put.get(0).split("/");
        String otherShard = shardIds.stream().filter(s -> !s.equals(record[0])).findFirst().orElseThrow();

        assertOneLineError(replay(h, "--to", "yesterday"), 2).contains("--to must be TRIM_HORIZON, LATEST, AT_TIMESTAMP=",
                "'yesterday'");
        assertOneLineError(replay(h, "--to", "AT_TIMESTAMP=25/11/2024"), 2).contains("ISO-8601", "25/11/2024");
        assertOneLineError(replay(h, "--to", "AT_TIMESTAMP=2999-01-01T00:00:00Z"), 2).contains("in the future");
        assertOneLineError(replay(h, "--shard", "shardId-000000000099", "--to", "TRIM_HORIZON"), 2)
                .contains("unknown --shard shardId-000000000099", shardIds.get(0));
        assertOneLineError(replay(h, "--to", record[1]), 2).contains("exactly one --shard");
        assertOneLineError(replay(h, "--shard", otherShard, "--to", record[1]), 2)
                .contains(record[1], "is not", otherShard);
        assertOneLineError(replay(h, Map.of("kinesis.applicationName", "no-such-app"), "--to", "LATEST"), 2)
                .contains("lease table no-such-app does not exist");
        assertThat(leases(h)).as("nothing written by a failed replay").isEqualTo(before);
    }
}
