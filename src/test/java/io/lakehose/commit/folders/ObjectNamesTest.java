package io.lakehose.commit.folders;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectNamesTest {

    private static final ObjectNames NAMES = new ObjectNames("orders-cdc", "shardId-000000000001");

    @Test
    void namesAreShortRoundTripAndSortInShardOrder() {
        SequenceNumber real = new SequenceNumber("49590338271490256608559692538361571095921575989136588898", 0);
        String key = NAMES.key("table=t/dt=2024-11-25/hour=09", real, ".parquet");
        assertThat(key).isEqualTo("table=t/dt=2024-11-25/hour=09/orders-cdc~shardId-000000000001~"
                + ObjectNames.encode(real) + ".parquet");
        assertThat(ObjectNames.encode(real)).hasSize(ObjectNames.WIDTH);
        assertThat(key.substring(key.lastIndexOf('/') + 1).length()).as("name length").isLessThan(80);
        assertThat(NAMES.startOf("table=t/dt=2024-11-25/hour=09", key)).contains(real);

        List<SequenceNumber> inOrder = List.of(SequenceNumber.of(9), SequenceNumber.of(10),
                new SequenceNumber("10", 3), new SequenceNumber("10", 36), SequenceNumber.of(11), real);
        List<String> names = new ArrayList<>();
        for (SequenceNumber s : inOrder) {
            String k = NAMES.key("d", s, ".jsonl.gz");
            assertThat(NAMES.startOf("d", k)).contains(s);
            names.add(k);
        }
        assertThat(names).isSorted();
    }

    @Test
    void anotherShardOrStreamIsNeverReadAsThisOne() {
        ObjectNames other = new ObjectNames("orders-cdc-2", "shardId-000000000001");
        String key = other.key("d", SequenceNumber.of(5), ".parquet");
        assertThat(key).doesNotStartWith(NAMES.prefix("d"));
        assertThat(NAMES.startOf("d", key)).isEmpty();
        assertThatThrownBy(() -> new ObjectNames("a~b", "s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysThatAreNotExactlyAnObjectNameAreNotTheShardsObjects() {
        String key = NAMES.key("d", SequenceNumber.of(5), ".parquet");
        assertThat(NAMES.startOf("d", key)).contains(SequenceNumber.of(5));
        assertThat(NAMES.startOf("d", key + "-4b0c7e4e-upload-in-progress")).isEmpty();
        assertThat(NAMES.startOf("d", key + ".bak")).isEmpty();
        assertThat(NAMES.startOf("d", NAMES.prefix("d") + "5.parquet")).as("not the fixed width").isEmpty();
        assertThat(NAMES.startOf("d", NAMES.key("d", SequenceNumber.of(5), ".jsonl.gz"))).contains(SequenceNumber.of(5));
    }
}
