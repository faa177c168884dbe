package io.lakehose.partition;

import io.lakehose.decode.ChangeRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-shard directory cache stays bounded when table names keep coming (10,000 of them) and still answers right. */
class PartitionerTest {

    private static final long T0 = Instant.parse("2024-11-25T08:30:00Z").toEpochMilli() * 1000;

    @Test
    void tenThousandTablesKeepTheCacheAtItsCapAndEveryDirectoryIsTheLayouts() {
        LakeLayout layout = LakeLayout.defaults();
        Partitioner partitioner = new Partitioner(layout);
        for (int i = 0; i < 10_000; i++) {
            ChangeRecord change = change("table" + i, T0);
            assertThat(partitioner.directoryOf(change)).isEqualTo(layout.partitionDirectory("table" + i, LakeLayout.epochHour(T0)));
        }
        assertThat(partitioner.cachedTables()).isEqualTo(Partitioner.MAX_TABLES);
        // the oldest tables were dropped, and are rendered again when they come back
        assertThat(partitioner.directoryOf(change("table0", T0))).isEqualTo(layout.partitionDirectory("table0", LakeLayout.epochHour(T0)));
        assertThat(partitioner.cachedTables()).isEqualTo(Partitioner.MAX_TABLES);
    }

    private static ChangeRecord change(String table, long eventTimeMicros) {
        return new ChangeRecord("e", "INSERT", table, "us-east-1", eventTimeMicros, null, new byte[0], null, null, null,
                null, -1, -1);
    }
}
