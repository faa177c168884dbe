package io.lakehose.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Table names come from the records: 10,000 of them (a stream of many tables, or forged names)
 * leave the per-table series and the maps behind them bounded, and lose no count.
 */
class TableCountersTest {

    private static final int TABLES = 10_000;

    @Test
    void tenThousandTableNamesMakeAtMostTheCapOfSeriesPlusOtherAndEveryRowIsCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PipelineStats stats = new PipelineStats(registry);
        for (int i = 0; i < TABLES; i++) {
            stats.rowsWritten("table-" + i).increment();
            stats.drift("table-" + i);
        }
        for (String meter : new String[] {"lakehose.rows.written", "lakehose.schema.drift"}) {
            var counters = registry.find(meter).counters();
            assertThat(counters).as(meter + " series").hasSize(TableCounters.MAX_TABLES + 1);
            assertThat(counters.stream().mapToDouble(Counter::count).sum()).as(meter + " total").isEqualTo(TABLES);
            assertThat(registry.get(meter).tag("table", TableCounters.OTHER).counter().count())
                    .as(meter + " of tables past the cap").isEqualTo(TABLES - TableCounters.MAX_TABLES);
            assertThat(registry.get(meter).tag("table", "table-0").counter().count()).as("a table before the cap").isEqualTo(1);
        }
    }

    @Test
    void belowTheCapEveryTableHasItsOwnSeriesAndNoOtherSeriesExists() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PipelineStats stats = new PipelineStats(registry);
        stats.rowsWritten("orders").increment(3);
        stats.rowsWritten("customers").increment();
        assertThat(registry.find("lakehose.rows.written").counters()).hasSize(2);
        assertThat(registry.find("lakehose.rows.written").tag("table", TableCounters.OTHER).counter()).isNull();
    }
}
