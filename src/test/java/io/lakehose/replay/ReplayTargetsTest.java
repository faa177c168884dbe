package io.lakehose.replay;

import io.lakehose.pipeline.PipelineStats;
import io.lakehose.testing.CommandRun;
import io.lakehose.testing.WorkerHarness;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The targets of {@code lakehose replay} other than TRIM_HORIZON: AT_TIMESTAMP and a sequence
 * number re-read exactly what follows them.
 */
class ReplayTargetsTest extends ReplayTestBase {

    @Test
    void atTimestampAndSequenceNumberTargetsReReadExactlyWhatFollows() throws Exception {
        WorkerHarness h = new WorkerHarness(aws.stack(), "replay-at", 2);
        AroundAnInstant batches = putAroundAnInstant(h);
        List<String> put = batches.all();
        Map<String, String> atEnd = WorkerHarness.lastSequenceByShard(put);
        runToCheckpoints(h, atEnd);

        // AT_TIMESTAMP: each shard's checkpoint is the last record that arrived before the instant.
        CommandRun at = replay(h, "--to", "AT_TIMESTAMP=" + batches.between());
        assertThat(at.exit).as(at.err).isZero();
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(batches.early()));
        PipelineStats afterTimestamp = runToCheckpoints(h, atEnd);
        assertThat(afterTimestamp.records.sum()).as("records read again: those put after the instant").isEqualTo(100);
        assertThat(afterTimestamp.skipped.sum()).isEqualTo(100);

        // A sequence number: that shard resumes after it, the other keeps its checkpoint.
        String[] from = batches.early().get(10).split("/");
        long after = put.stream().map(p -> p.split("/"))
                .filter(p -> p[0].equals(from[0]) && new BigInteger(p[1]).compareTo(new BigInteger(from[1])) > 0).count();
        CommandRun seq = replay(h, "--shard", from[0], "--to", from[1]);
        assertThat(seq.exit).as(seq.err).isZero();
        assertThat(seq.outLines()).contains(from[0] + ": " + atEnd.get(from[0]) + " -> " + from[1]);
        Map<String, String> expected = new HashMap<>(atEnd);
        expected.put(from[0], from[1]);
        assertThat(h.checkpoints()).isEqualTo(expected);
        PipelineStats afterSequence = runToCheckpoints(h, atEnd);
        assertThat(afterSequence.records.sum()).as("records after " + from[1] + " in " + from[0]).isEqualTo(after);
        assertThat(afterSequence.skipped.sum()).isEqualTo(after);
        assertExactlyOnce(h, put);
    }
}
