package io.lakehose.pipeline;

import io.lakehose.buffer.BufferLimits;
import io.lakehose.buffer.MemoryBudget;
import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.EventTimeBounds;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.RowEncoders;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.partition.LakeLayout;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The pipeline's promises to its caller, against a committer whose answers the test gives. */
class ShardPipelineTest {

    private static final long T0 = Instant.parse("2024-11-25T08:00:00Z").toEpochMilli() * 1000;

    @TempDir
    Path spool;

    /**
     * When flush's future completes, {@link ShardPipeline#safeCheckpoint()} covers every record: the
     * shard checkpoints right then (shutdown). A future runs its later dependents first, so the
     * committer's own flush could complete before the pipeline had counted the file committed,
     * and the final checkpoint fell short of what the lake held.
     */
    @Test
    void whenFlushCompletesTheSafeCheckpointCoversEveryRecord() throws Exception {
        AnsweredCommitter committer = new AnsweredCommitter();
        ShardPipeline pipeline = new ShardPipeline("shardId-000000000001", context(committer), committer);
        for (long seq = 1; seq <= 3; seq++) {
            pipeline.accept(record(seq));
        }
        CompletableFuture<Void> flushed = pipeline.flush();
        AtomicReference<Optional<SequenceNumber>> atFlush = new AtomicReference<>();
        flushed.thenRun(() -> atFlush.set(pipeline.safeCheckpoint())); // as the shard thread checkpoints then
        assertThat(committer.answers).as("one file handed over").hasSize(1);

        committer.answers.get(0).complete(new Committed(Optional.of("key"), 3, 100)); // the lake answers

        assertThat(flushed).isCompleted();
        assertThat(atFlush.get()).as("safe checkpoint when flush completed").hasValue(SequenceNumber.of(3));
    }

    private PipelineContext context(LakeCommitter committer) {
        return new PipelineContext(LakeLayout.defaults(),
                ParquetSpoolWriter.factory(RowEncoders.envelopeOnly()::forTable, ParquetSettings.defaults()),
                ErrorLineWriter.factory(false), new BufferLimits(1 << 30, 1_000, Long.MAX_VALUE / 4),
                MemoryBudget.unlimited(), committer, spool, new PipelineStats(), false, EventTimeBounds.DEFAULT);
    }

    private static SourceRecord record(long seq) {
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"table1\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0 / 1000 + seq)
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}}},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of("shardId-000000000001", SequenceNumber.of(seq), T0 + seq * 1_000_000L,
                json.getBytes(StandardCharsets.UTF_8));
    }

    /** Commits complete when the test completes their answers; flush waits for every one, as the adapters do. */
    private static final class AnsweredCommitter implements LakeCommitter, ShardCommitter {
        final List<CompletableFuture<Committed>> answers = new ArrayList<>();

        @Override
        public ShardCommitter openShard(String shardId, boolean recover) {
            return this;
        }

        @Override
        public boolean isCommitted(String directory, SequenceNumber sequence) {
            return false;
        }

        @Override
        public CompletableFuture<Committed> commit(SealedFile file) {
            file.deleteSpoolFile();
            CompletableFuture<Committed> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public CompletableFuture<Void> flush() {
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
        }

        @Override
        public void abandon() {
        }

        @Override
        public Optional<String> health() {
            return Optional.empty();
        }

        @Override
        public String describe() {
            return "answered by the test";
        }

        @Override
        public void close() {
        }

        @Override
        public void bindTo(MeterRegistry registry) {
        }
    }
}
