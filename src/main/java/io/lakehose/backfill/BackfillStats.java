package io.lakehose.backfill;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A backfill's counters, for the terminal progress line and for Prometheus when it runs as a
 * task. Thread-safe.
 */
final class BackfillStats {

    private final AtomicLong items = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong unitsDone = new AtomicLong();
    private final AtomicLong files = new AtomicLong();
    private final Counter itemsCounter;
    private final Counter capacityCounter;
    private final Counter errorCounter;
    private final long units;
    private final long expectedItems;

    /**
     * @param alreadyItems  items stored by earlier runs of a resumed backfill
     * @param expectedItems the table's (approximate) item count, or -1 when unknown
     */
    BackfillStats(MeterRegistry registry, String table, long units, long alreadyUnitsDone, long alreadyItems,
                  long expectedItems) {
        this.units = units;
        this.expectedItems = expectedItems;
        this.items.set(alreadyItems);
        this.unitsDone.set(alreadyUnitsDone);
        itemsCounter = Counter.builder("lakehose_backfill_items").tag("table", table)
                .description("Items written to the lake by this backfill process").register(registry);
        capacityCounter = Counter.builder("lakehose_backfill_read_capacity_units").tag("table", table)
                .description("Read capacity units the Scan consumed").register(registry);
        errorCounter = Counter.builder("lakehose_backfill_errors").tag("table", table)
                .description("Items sent to the error output").register(registry);
        Gauge.builder("lakehose_backfill_units", () -> units).tag("table", table)
                .description("Scan segments or export data files of the backfill").register(registry);
        Gauge.builder("lakehose_backfill_units_done", unitsDone::get).tag("table", table)
                .description("Segments or data files completely written").register(registry);
    }

    /** A unit stored a file of {@code n} rows; 0 when it ended with nothing left to store. */
    void itemsStored(long n) {
        items.addAndGet(n);
        itemsCounter.increment(n);
        if (n > 0) {
            files.incrementAndGet();
        }
    }

    void error() {
        errors.incrementAndGet();
        errorCounter.increment();
    }

    void capacity(double units) {
        capacityCounter.increment(units);
    }

    void unitDone() {
        unitsDone.incrementAndGet();
    }

    long items() {
        return items.get();
    }

    long errors() {
        return errors.get();
    }

    long files() {
        return files.get();
    }

    long unitsDone() {
        return unitsDone.get();
    }

    long units() {
        return units;
    }

    long expectedItems() {
        return expectedItems;
    }
}
