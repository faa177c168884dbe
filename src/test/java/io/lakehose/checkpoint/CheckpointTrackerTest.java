package io.lakehose.checkpoint;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTrackerTest {

    private static SequenceNumber seq(long n) {
        return SequenceNumber.of(n);
    }

    @Test
    void nothingIsSafeWhileTheFirstFileIsOpen() {
        CheckpointTracker t = new CheckpointTracker();
        long a = t.opened();
        t.accepted(seq(1));
        t.accepted(seq(2));
        assertThat(t.safeCheckpoint()).isEmpty();
        t.completed(a);
        assertThat(t.safeCheckpoint()).contains(seq(2));
    }

    @Test
    void partitionsThatFlushAtDifferentTimesHoldTheCheckpointAtTheOldestPendingFile() {
        CheckpointTracker t = new CheckpointTracker();
        long hour8 = t.opened();           // records 1, 3 go to hour 8
        t.accepted(seq(1));
        long hour9 = t.opened();           // records 2, 4 go to hour 9
        t.accepted(seq(2));
        t.accepted(seq(3));
        t.accepted(seq(4));

        t.completed(hour9);                // hour 9 uploaded first: record 1 and 3 still only in memory
        assertThat(t.safeCheckpoint()).isEmpty();

        long hour8b = t.opened();          // hour 8's file was finished; a new one starts at 5
        t.accepted(seq(5));
        t.completed(hour8);                // 1..4 all uploaded, 5 is not
        assertThat(t.safeCheckpoint()).contains(seq(4));
        t.completed(hour8b);
        assertThat(t.safeCheckpoint()).contains(seq(5));
    }

    @Test
    void aFailedUploadFreezesTheCheckpoint() {
        CheckpointTracker t = new CheckpointTracker();
        long first = t.opened();
        t.accepted(seq(10));
        t.completed(first);
        long failed = t.opened();
        t.accepted(seq(11));
        long later = t.opened();
        t.accepted(seq(12));
        t.completed(later);                // never completed: `failed`
        assertThat(t.safeCheckpoint()).contains(seq(10));
        assertThat(t.pendingFiles()).isEqualTo(1);
        assertThat(failed).isNotEqualTo(later);
    }

    @Test
    void comparesSequenceNumbersNumericallyIncludingSubSequence() {
        SequenceNumber small = new SequenceNumber("9", 0);
        SequenceNumber big = new SequenceNumber("49590338271490256608559692538361571095921575989136588898", 0);
        assertThat(small).isLessThan(big);
        assertThat(new SequenceNumber("0049", 0)).isEqualTo(new SequenceNumber("49", 0));
        assertThat(new SequenceNumber("49", 1)).isGreaterThan(new SequenceNumber("49", 0));
        assertThat(SequenceNumber.parse(new SequenceNumber("49", 7).toString())).isEqualTo(new SequenceNumber("49", 7));
    }

    @Test
    void rejectsRecordsOutOfShardOrder() {
        CheckpointTracker t = new CheckpointTracker();
        t.accepted(seq(5));
        assertThatThrownBy(() -> t.accepted(seq(5))).isInstanceOf(IllegalStateException.class);
    }
}
