package io.lakehose.backfill;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The periodic progress line of a backfill on the terminal (or the task's log):
 * {@code backfill orders: 120,000 items (8,400/s), segments 3/8 done, ETA 0:01:10}.
 * The ETA needs the table's item count, which DynamoDB refreshes only every few hours, so it
 * is an estimate and left out when the count is unknown or already passed.
 */
final class ProgressLine {

    private final BackfillStats stats;
    private final String table;
    private final String unitKind;
    private final long startNanos = System.nanoTime();
    private final long itemsAtStart;

    ProgressLine(BackfillStats stats, String table, String unitKind) {
        this.stats = stats;
        this.table = table;
        this.unitKind = unitKind;
        this.itemsAtStart = stats.items();
    }

    String line() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        long items = stats.items();
        double rate = (items - itemsAtStart) / seconds;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "backfill %s: %,d items (%,.0f/s), %s %d/%d done",
                table, items, rate, unitKind, stats.unitsDone(), stats.units()));
        if (stats.errors() > 0) {
            b.append(String.format(Locale.ROOT, ", %,d to the error output", stats.errors()));
        }
        long expected = stats.expectedItems();
        if (expected > items && rate > 0) {
            b.append(", ETA ").append(format(Duration.ofSeconds((long) ((expected - items) / rate))));
        }
        return b.toString();
    }

    void print(PrintStream out) {
        out.println(line());
        out.flush();
    }

    private static String format(Duration d) {
        return String.format(Locale.ROOT, "%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
