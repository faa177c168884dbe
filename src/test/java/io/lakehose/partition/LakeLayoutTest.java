package io.lakehose.partition;

import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LakeLayoutTest {

    private static long hourOf(String instant) {
        return LakeLayout.epochHour(Instant.parse(instant).toEpochMilli() * 1000);
    }

    @Test
    void partitionsByEventHourInUtcAcrossDayAndYearBoundaries() {
        LakeLayout layout = new LakeLayout("cdc/", LakeLayout.DEFAULT_TEMPLATE, "errors");
        assertThat(layout.partitionDirectory("orders", hourOf("2024-12-31T23:59:59.999Z")))
                .isEqualTo("cdc/table=orders/dt=2024-12-31/hour=23");
        assertThat(layout.partitionDirectory("orders", hourOf("2025-01-01T00:00:00Z")))
                .isEqualTo("cdc/table=orders/dt=2025-01-01/hour=00");
        assertThat(layout.partitionDirectory("orders", hourOf("1969-12-31T23:30:00Z")))
                .isEqualTo("cdc/table=orders/dt=1969-12-31/hour=23");
    }

    @Test
    void templatePlaceholdersAndValidation() {
        LakeLayout layout = new LakeLayout("", "{table}/year={year}/month={month}/day={day}/{hour}", "e");
        assertThat(layout.partitionDirectory("t", hourOf("2024-02-09T07:10:00Z"))).isEqualTo("t/year=2024/month=02/day=09/07");
        assertThat(LakeLayout.validateTemplate("dt={date}")).contains("{table}");
        assertThat(LakeLayout.validateTemplate("table={table}/{minute}")).contains("unknown placeholder {minute}");
        assertThatThrownBy(() -> new LakeLayout("", "/table={table}", "e")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorDirectoryUsesTableReasonAndArrivalDay() {
        LakeLayout layout = new LakeLayout("cdc", LakeLayout.DEFAULT_TEMPLATE, "errors", "orders");
        long micros = Instant.parse("2024-11-25T23:59:59Z").toEpochMilli() * 1000;
        assertThat(layout.errorDirectory(Optional.of("payments"), "invalid_json", micros))
                .isEqualTo("errors/table=payments/reason=invalid_json/dt=2024-11-25");
        assertThat(layout.errorDirectory(Optional.empty(), "invalid_json", micros))
                .as("a record whose table is unknown: the configured table's error output")
                .isEqualTo("errors/table=orders/reason=invalid_json/dt=2024-11-25");
        assertThat(layout.legacyDirectories("errors/table=payments/reason=invalid_json/dt=2024-11-25"))
                .containsExactly("errors/reason=invalid_json/dt=2024-11-25");
        assertThat(layout.legacyDirectories("cdc/table=payments/dt=2024-11-25/hour=09")).isEmpty();
        assertThat(layout.tableOf("cdc/table=payments/dt=2024-11-25/hour=09")).contains("payments");
        assertThat(layout.tableOf("errors/table=payments/reason=invalid_json/dt=2024-11-25")).isEmpty();
    }

    @Test
    void objectNamesCarryTheSequenceRangeAndParseBack() {
        SequenceNumber first = new SequenceNumber("49590338271490256608559692538361571095921575989136588898", 0);
        SequenceNumber last = new SequenceNumber("49590338271490256608559692538361571095921575989136589000", 3);
        String key = LakeLayout.objectKey("table=t/dt=2024-11-25/hour=08", "shardId-000000000001", first, last, ".parquet");
        assertThat(key).isEqualTo("table=t/dt=2024-11-25/hour=08/shardId-000000000001-"
                + "49590338271490256608559692538361571095921575989136588898-"
                + "49590338271490256608559692538361571095921575989136589000.3.parquet");
        assertThat(LakeLayout.rangeOf(key, "shardId-000000000001")).containsExactly(first, last);
        assertThat(LakeLayout.rangeOf("errors/reason=x/dt=d/local-6-9.jsonl.gz", "local"))
                .containsExactly(SequenceNumber.of(6), SequenceNumber.of(9));
        assertThat(LakeLayout.rangeOf(key, "shardId-000000000002")).isNull();
        assertThat(LakeLayout.rangeOf("t/local-x-9.parquet", "local")).isNull();
    }
}
