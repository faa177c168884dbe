package io.lakehose.config;

import io.lakehose.commit.iceberg.state.CurrentStateSettings;

import java.util.List;
import java.util.Map;

import static io.lakehose.config.Parsers.bool;

/**
 * The current-state tables beside the change-log tables (docs/design.md, "Tables", current-state
 * table): the iceberg.currentState and iceberg.keepTombstones keys, and the free-form
 * {@value ConfigKeys#ICEBERG_ORDER_ATTRIBUTES_SECTION} map.
 */
public final class CurrentStateConfig {

    public static final ConfigKey<Boolean> ENABLED = new ConfigKey<>("iceberg.currentState", "false", bool(),
            "Keep a current-state table <namespace>.<name> beside each change-log table: one row per item key, its "
                    + "newest image. Off by default: each worker then holds an index of every key of its tables in "
                    + "memory and reads the key columns of the whole table when it starts.");
    public static final ConfigKey<Boolean> KEEP_TOMBSTONES = new ConfigKey<>("iceberg.keepTombstones", "false", bool(),
            "A REMOVE (TTL deletes too) leaves a row in the current-state table (event_name REMOVE, no new image) "
                    + "instead of deleting it.");

    static final Section<CurrentStateSettings> SECTION = new Section<>("iceberg current state",
            List.of(ENABLED, KEEP_TOMBSTONES), v -> {
                Map<String, String> order = v.map(ConfigKeys.ICEBERG_ORDER_ATTRIBUTES_SECTION);
                order.forEach((table, attribute) -> {
                    if (attribute.isBlank()) {
                        v.problem(ConfigKeys.ICEBERG_ORDER_ATTRIBUTES_SECTION + "." + table + ": empty attribute name");
                    }
                });
                return new CurrentStateSettings(v.get(ENABLED), order, v.get(KEEP_TOMBSTONES));
            });

    private CurrentStateConfig() {
    }
}
