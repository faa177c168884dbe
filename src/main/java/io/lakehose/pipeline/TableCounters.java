package io.lakehose.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per table, for the first {@link #MAX_TABLES} tables seen; later tables share the
 * series labelled {@code table="other"} (as does a table named "other"). Table names come from the records, so a stream that
 * carries ever new names (or a forger) would otherwise add series, and heap, without end. A cap
 * rather than an LRU: evicting a Prometheus counter and adding it again would read as a reset.
 */
final class TableCounters {

    /** Far above the tables one stream carries in practice (a DynamoDB table per stream, or a few). */
    static final int MAX_TABLES = 200;
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final Map<String, Counter> byTable = new ConcurrentHashMap<>();

    TableCounters(MeterRegistry registry, String name, String description) {
        this.registry = registry;
        this.name = name;
        this.description = description;
    }

    Counter of(String table) {
        Counter c = byTable.get(table);
        if (c != null) {
            return c;
        }
        if (byTable.size() >= MAX_TABLES) {
            return counter(OTHER); // registered once, then the registry's lookup; only past the cap
        }
        // Two threads may both pass the size check: the cap is exceeded by at most the shard threads.
        return byTable.computeIfAbsent(table, this::counter);
    }

    /** Tables with a series of their own. */
    int tables() {
        return byTable.size();
    }

    private Counter counter(String table) {
        return Counter.builder(name).description(description).tag("table", table).register(registry);
    }
}
