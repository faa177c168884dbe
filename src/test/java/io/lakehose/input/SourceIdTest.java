package io.lakehose.input;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What identifies an input for {@code convert}: where it is, however it is spelled (docs/design.md, "Object names"). */
class SourceIdTest {

    @Test
    void oneInputSpelledAnyWayIsOneShardAndTwoInputsAreTwo(@TempDir Path dir) throws Exception {
        Path day1 = Files.createDirectories(dir.resolve("archive/day-1"));
        Path day2 = Files.createDirectories(dir.resolve("archive/day-2"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), day1);
        String shard = SourceId.of(day1.toString()).shardId();

        assertThat(shard).matches("local-[0-9a-f]{12}");
        assertThat(SourceId.of(day1 + "/").shardId()).isEqualTo(shard);
        assertThat(SourceId.of(dir + "/archive/./day-2/../day-1").shardId()).isEqualTo(shard);
        assertThat(SourceId.of(link.toString()).shardId()).as("a link to it").isEqualTo(shard);
        assertThat(SourceId.of(day2.toString()).shardId()).isNotEqualTo(shard);
    }

    @Test
    void anS3InputIsItsBucketAndPrefix() throws Exception {
        assertThat(SourceId.of("s3://b").shardId()).isEqualTo(SourceId.of("s3://b/").shardId());
        assertThat(SourceId.of("s3://b/firehose/2024/01/").shardId())
                .isNotEqualTo(SourceId.of("s3://b/firehose/2024/02/").shardId())
                .isNotEqualTo(SourceId.of("s3://other/firehose/2024/01/").shardId());
    }

    @Test
    void aNameIsKeptAsItIs() throws Exception {
        assertThat(SourceId.named("firehose-2024.v2_a").shardId()).isEqualTo("local-firehose-2024.v2_a");
    }
}
