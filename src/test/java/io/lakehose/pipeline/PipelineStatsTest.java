package io.lakehose.pipeline;

import io.lakehose.buffer.BufferLimits;
import io.lakehose.buffer.MemoryBudget;
import io.lakehose.commit.folders.FolderCommitter;
import io.lakehose.decode.EventTimeBounds;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.encode.ParquetSpoolWriter;
import io.lakehose.encode.ParquetTrimmer;
import io.lakehose.encode.RowEncoders;
import io.lakehose.errorout.ErrorLineWriter;
import io.lakehose.errorout.ErrorLinesTrimmer;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.LocalDirectoryStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The counters a long-running worker keeps stay bounded: no entry per stored object unless asked for. */
class PipelineStatsTest {

    private static final long T0 = Instant.parse("2024-11-25T08:00:00Z").toEpochMilli() * 1000;
    private static final int FILES = 40;

    @TempDir
    Path lake;
    @TempDir
    Path spool;

    @Test
    void theServicesCountersKeepNoEntryPerStoredObject() throws Exception {
        PipelineStats service = new PipelineStats(new SimpleMeterRegistry()); // as `run` makes them
        storeOneFilePerRecord(service);
        assertThat(service.dataFiles.sum()).as("files stored").isEqualTo(FILES);
        assertThat(service.storedObjects()).as("objects listed by the service's counters").isEmpty();
    }

    @Test
    void countersThatListObjectsListEveryOneWithItsRecords() throws Exception {
        PipelineStats listing = PipelineStats.listingStoredObjects(); // as `convert --show` makes them
        storeOneFilePerRecord(listing);
        assertThat(listing.storedObjects()).hasSize(FILES);
        assertThat(listing.storedObjects().values()).containsOnly(1L);
        assertThat(listing.storedObjects().keySet()).allMatch(key -> key.startsWith("table=table1/") && key.endsWith(".parquet"));
    }

    /** {@link #FILES} records through one shard, each closing its own file (maxRecords 1). */
    private void storeOneFilePerRecord(PipelineStats stats) throws Exception {
        FolderCommitter committer = new FolderCommitter(new LocalDirectoryStore(lake), "stream-1",
                Map.of(".parquet", new ParquetTrimmer(ParquetSettings.defaults()), ".jsonl", new ErrorLinesTrimmer()),
                1 << 30, Duration.ofMinutes(5));
        PipelineContext ctx = new PipelineContext(LakeLayout.defaults(),
                ParquetSpoolWriter.factory(RowEncoders.envelopeOnly()::forTable, ParquetSettings.defaults()),
                ErrorLineWriter.factory(false), new BufferLimits(1 << 30, 1, Long.MAX_VALUE / 4),
                MemoryBudget.unlimited(), committer, spool, stats, false, EventTimeBounds.DEFAULT);
        try (committer) {
            ShardPipeline shard = new ShardPipeline("shardId-000000000001", ctx,
                    committer.openShard("shardId-000000000001", false));
            for (long seq = 1; seq <= FILES; seq++) {
                shard.accept(record(seq));
            }
            shard.flush().get(30, TimeUnit.SECONDS);
        }
    }

    private static SourceRecord record(long seq) {
        String json = "{\"eventID\":\"e" + seq + "\",\"eventName\":\"INSERT\",\"tableName\":\"table1\","
                + "\"awsRegion\":\"us-east-1\",\"dynamodb\":{\"ApproximateCreationDateTime\":" + (T0 / 1000 + seq)
                + ",\"Keys\":{\"id\":{\"N\":\"" + seq + "\"}}},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of("shardId-000000000001", SequenceNumber.of(seq), T0 + seq * 1_000_000L,
                json.getBytes(StandardCharsets.UTF_8));
    }
}
