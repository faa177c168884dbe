package io.lakehose.commit.iceberg.state;

import java.util.Map;
import java.util.Optional;

/**
 * The current-state tables (docs/design.md, "Tables", current-state table).
 *
 * @param enabled         whether each change-log table has its current-state table beside it
 * @param orderAttributes DynamoDB table name to the item attribute that orders its changes (a
 *                        version counter or an update timestamp the application writes)
 * @param keepTombstones  a REMOVE leaves its row (event_name REMOVE, no new image) instead of none
 */
public record CurrentStateSettings(boolean enabled, Map<String, String> orderAttributes, boolean keepTombstones) {

    public static final CurrentStateSettings OFF = new CurrentStateSettings(false, Map.of(), false);

    public CurrentStateSettings {
        orderAttributes = Map.copyOf(orderAttributes);
    }

    Optional<String> orderAttribute(String dynamoTable) {
        return Optional.ofNullable(orderAttributes.get(dynamoTable));
    }
}
