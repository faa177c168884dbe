package io.lakehose.pipeline;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** convert's sequence numbers: file 0 keeps its line numbers; numbers grow with file order, then position. */
class InputPositionsTest {

    @Test
    void theFirstFileKeepsItsLineNumbers() {
        assertThat(InputPositions.sequence(0, 1)).isEqualTo(SequenceNumber.of(1));
        assertThat(InputPositions.sequence(0, 42)).isEqualTo(SequenceNumber.of(42));
    }

    @Test
    void laterFilesArePrefixedByTheirNumber() {
        assertThat(InputPositions.sequence(3, 42).toString()).isEqualTo("3000000000042");
        assertThat(InputPositions.sequence(12, InputPositions.MAX_POSITION).toString()).isEqualTo("12999999999999");
    }

    @Test
    void numbersGrowWithFileOrderThenPosition() {
        List<SequenceNumber> inOrder = new ArrayList<>();
        for (int file : new int[]{0, 1, 2, 9, 10, 11, 99, 100, 12345}) {
            for (long position : new long[]{1, 2, 9, 10, 999_999, InputPositions.MAX_POSITION}) {
                inOrder.add(InputPositions.sequence(file, position));
            }
        }
        assertThat(inOrder).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void positionsOutsideAFilesRangeAreRefused() {
        assertThatThrownBy(() -> InputPositions.sequence(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InputPositions.sequence(1, InputPositions.MAX_POSITION + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
