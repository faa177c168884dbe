package io.lakehose.backfill;

import java.math.BigDecimal;

/**
 * {@code --read-rate}: read capacity units per second for the whole backfill, either absolute
 * ({@code 500}) or a share of a provisioned table's read capacity ({@code 25%}).
 */
record ReadRate(double value, boolean percent) {

    /** Default for provisioned tables: a quarter of the capacity leaves room for production. */
    static final ReadRate DEFAULT_PROVISIONED = new ReadRate(25, true);
    /** Default for on-demand tables, which have no capacity to take a share of (about 8 MB/s). */
    static final double DEFAULT_ON_DEMAND_RCU = 1000;

    static ReadRate parse(String text) {
        String t = text.trim();
        boolean pct = t.endsWith("%");
        double v;
        try {
            v = Double.parseDouble(pct ? t.substring(0, t.length() - 1) : t);
        } catch (NumberFormatException e) {
            throw new BackfillArgumentException("--read-rate '" + text + "' is neither a number of read capacity "
                    + "units per second (500) nor a share of the table's capacity (25%)");
        }
        if (!(v > 0) || (pct && v > 100)) {
            throw new BackfillArgumentException("--read-rate '" + text + "' must be above 0" + (pct ? " and at most 100%" : ""));
        }
        return new ReadRate(v, pct);
    }

    /**
     * Units per second for a table.
     *
     * @param provisionedRcu the table's provisioned read capacity, 0 for on-demand
     */
    double unitsPerSecond(long provisionedRcu, String table) {
        if (!percent) {
            return value;
        }
        if (provisionedRcu <= 0) {
            throw new BackfillArgumentException("--read-rate " + BigDecimal.valueOf(value).stripTrailingZeros()
                    .toPlainString() + "% needs a provisioned table, but " + table
                    + " is on-demand: give read capacity units per second instead, e.g. --read-rate 1000");
        }
        return Math.max(1, provisionedRcu * value / 100);
    }
}
