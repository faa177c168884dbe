package io.lakehose.commit.iceberg.state;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The index's bookkeeping of rows and tombstones, which it keeps apart so a commit does not walk the whole index. */
class StateIndexTest {

    private static Change change(String key, String event, long time) {
        return new Change(key, event, time, "shardId-000000000001", new SequenceNumber(Long.toString(time), 0),
                Optional.empty());
    }

    @Test
    void rowsAndTombstonesAreCountedApartAndOnlyOldTombstonesAreForgotten() {
        StateIndex index = new StateIndex();
        index.rowAdded("f1", 0, change("a", "INSERT", 1));
        index.rowAdded("f1", 1, change("b", "INSERT", 2));
        index.rowAdded("f1", 2, change("c", "INSERT", 3));
        index.tombstone(change("a", Change.REMOVE, 10)); // removed by this writer
        index.rowDeleted("f1", 1); // b's row deleted by another writer's commit
        assertThat(index.rows()).isEqualTo(1);
        assertThat(index.size()).isEqualTo(3);

        index.rowAdded("f2", 0, change("b", "INSERT", 20)); // b back: a row again
        index.tombstone(change("d", Change.REMOVE, 30)); // a key never seen: a tombstone only
        assertThat(index.rows()).isEqualTo(2);

        index.forgetTombstonesBefore(25);
        assertThat(index.get("a")).as("a tombstone older than the cut").isEmpty();
        assertThat(index.get("d")).as("a tombstone newer than the cut").isPresent();
        assertThat(index.get("c")).as("a row, however old").isPresent();
        assertThat(index.get("b").flatMap(StateIndex.Entry::row)).contains(new StateIndex.RowAt("f2", 0));
        assertThat(index.rows()).isEqualTo(2);
        assertThat(index.size()).isEqualTo(3);

        index.fileRemoved("f2");
        assertThat(index.rows()).isEqualTo(1);
        index.forgetTombstonesBefore(Long.MAX_VALUE);
        assertThat(index.size()).isEqualTo(1);
    }
}
