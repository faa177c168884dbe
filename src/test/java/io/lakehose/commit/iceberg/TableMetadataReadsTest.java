package io.lakehose.commit.iceberg;

import io.lakehose.commit.LakeCommitter;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.encode.RowEncoders;
import io.lakehose.pipeline.PipelineContext;
import io.lakehose.pipeline.PipelineStats;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.pipeline.ShardPipeline;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.testing.Await;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only the commit thread reads a table's metadata from the catalog: the shard threads (a file's
 * field ids) and the upload threads (a file's location, partition and metrics) use what it read
 * ({@link DataFileTarget}). Between a commit's catalog update and Iceberg's re-read of the new
 * metadata, any of the table's accessors re-reads it too; another thread that did so parsed the
 * metadata a second time and, finishing during the next commit, made that commit fail as stale
 * and go again (10 times in 7 rounds of IcebergCommitBench). Here that window is held open.
 */
class TableMetadataReadsTest {

    private static final long T0 = Instant.parse("2024-11-25T06:00:00Z").toEpochMilli() * 1000;
    /** The threads that read a metadata file, in order (the FileIO is made by the catalog). */
    static final Queue<String> METADATA_READERS = new ConcurrentLinkedQueue<>();
    /** While armed, the commit thread waits before it reads a metadata file (just after a commit) until released. */
    static volatile CountDownLatch hold = new CountDownLatch(0);
    static volatile boolean holding;

    @TempDir
    Path dir;

    @Test
    void afterACommitOnlyTheCommitThreadReadsTheTablesMetadata() throws Exception {
        Map<String, String> catalog = new HashMap<>(LocalWarehouse.writerProperties(dir));
        catalog.put("io-impl", RecordingFileIO.class.getName());
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", dir.toString(),
                "lake.format", "iceberg", "iceberg.catalog.type", "jdbc"));
        IcebergSettings s = cfg.iceberg();
        cfg = cfg.withIceberg(new IcebergSettings(s.catalogName(), catalog, "cdc", Duration.ofHours(1),
                s.partitionBy(), s.tableNames()));
        try (LakeCommitter committer = Pipelines.convertCommitter(cfg, new LocalDirectoryStore(dir), "shardId-000000000000")) {
            PipelineContext ctx = Pipelines.context(cfg, committer, Files.createDirectories(dir.resolve(".spool")),
                    RowEncoders.envelopeOnly(), new PipelineStats(), true);
            ShardPipeline shard = new ShardPipeline("shardId-000000000000", ctx,
                    committer.openShard("shardId-000000000000", false));
            for (int i = 1; i <= 50; i++) {
                shard.accept(record(i));
            }
            shard.flush().get(60, TimeUnit.SECONDS);
            METADATA_READERS.clear();
            hold = new CountDownLatch(1);
            for (int i = 51; i <= 100; i++) {
                shard.accept(record(i));
            }
            CompletableFuture<Void> second = shard.flush(); // its commit waits to re-read the table's metadata
            Await.until("the commit thread held", Duration.ofSeconds(60), () -> holding);
            for (int i = 101; i <= 150; i++) { // meanwhile a new file: opened with field ids ...
                shard.accept(record(i));
            }
            CompletableFuture<Void> third = shard.flush(); // ... and uploaded
            Await.until("the third file uploaded", Duration.ofSeconds(60), () -> dataFiles() == 3);
            hold.countDown();
            second.get(60, TimeUnit.SECONDS);
            third.get(60, TimeUnit.SECONDS);
        }
        assertThat(List.copyOf(METADATA_READERS)).as("threads that read the table's metadata after the first commit")
                .isNotEmpty().allMatch(t -> t.equals("iceberg-commit"));
    }

    private long dataFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("warehouse"))) {
            return files.filter(p -> p.toString().endsWith(".parquet")).count();
        }
    }

    private static SourceRecord record(int i) {
        long micros = T0 + i * 1000L;
        String json = "{\"eventID\":\"ev-" + i + "\",\"eventName\":\"INSERT\",\"tableName\":\"orders\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + micros / 1000 + ",\"Keys\":{\"id\":{\"N\":\""
                + i + "\"}},\"NewImage\":{\"id\":{\"N\":\"" + i + "\"}},\"SizeBytes\":20,"
                + "\"ApproximateCreationDateTimePrecision\":\"MILLISECOND\"},\"eventSource\":\"aws:dynamodb\"}";
        return SourceRecord.of("shardId-000000000000", SequenceNumber.of(i), micros,
                json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link LocalFileIO}, noting which thread opens each metadata file. */
    public static final class RecordingFileIO implements FileIO {

        private final LocalFileIO files = new LocalFileIO();

        @Override
        public InputFile newInputFile(String location) {
            if (location.endsWith(".metadata.json")) {
                String thread = Thread.currentThread().getName().replaceAll("-?[0-9]+$", "");
                METADATA_READERS.add(thread);
                if (thread.equals("iceberg-commit") && hold.getCount() > 0) {
                    holding = true;
                    try {
                        hold.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            return files.newInputFile(location);
        }

        @Override
        public OutputFile newOutputFile(String location) {
            return files.newOutputFile(location);
        }

        @Override
        public void deleteFile(String location) {
            files.deleteFile(location);
        }

        @Override
        public void initialize(Map<String, String> properties) {
            files.initialize(properties);
        }
    }
}
