package io.lakehose.config;

import io.lakehose.commit.iceberg.IcebergSettings;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.lakehose.config.Parsers.choice;
import static io.lakehose.config.Parsers.longIn;
import static io.lakehose.config.Parsers.string;

/**
 * The change-log tables (the iceberg.* keys, and the free-form {@value ConfigKeys#ICEBERG_CATALOG_SECTION}
 * properties); the section's record is the adapter's own {@link IcebergSettings}.
 */
public final class IcebergConfig {

    public static final ConfigKey<String> CATALOG_NAME = new ConfigKey<>("iceberg.catalogName", "lakehose",
            string(), "The Iceberg catalog's name. A JDBC catalog keeps its tables under this name: readers of the "
                    + "same database must use it too.");
    public static final ConfigKey<String> NAMESPACE = new ConfigKey<>("iceberg.namespace", "lakehose", string(),
            "Namespace (Glue: database) of the change-log tables; created when missing.");
    public static final ConfigKey<Long> COMMIT_SECONDS = new ConfigKey<>("iceberg.commitIntervalSeconds", "60",
            longIn(1, 3_600), "How often each worker commits what its shards finished: one snapshot per table. Records "
                    + "are visible (and checkpointed) within about this long.");
    public static final ConfigKey<String> PARTITION_BY = new ConfigKey<>("iceberg.partitionBy", "day",
            choice("day", "hour"), "Partition of new change-log tables: day or hour of event_time.");

    /** What Glue allows for a table name (and what every other catalog takes). */
    private static final String CATALOG_TABLE_NAME = "[a-z][a-z0-9_]{0,254}";

    static final Section<IcebergSettings> SECTION = new Section<>("iceberg",
            List.of(CATALOG_NAME, NAMESPACE, COMMIT_SECONDS, PARTITION_BY), v -> {
                if (v.get(LakeConfig.FORMAT) != ConfigKeys.LakeFormat.FOLDERS
                        && !v.catalog().containsKey("type") && !v.catalog().containsKey("catalog-impl")) {
                    v.problem(ConfigKeys.ICEBERG_CATALOG_SECTION + ".type: lake.format is " + v.get(LakeConfig.FORMAT)
                            .name().toLowerCase(Locale.ROOT) + " but no catalog is "
                            + "configured (iceberg.catalog: {type: glue|rest|jdbc, warehouse: ..., ...}; environment "
                            + ConfigKeys.ICEBERG_CATALOG_ENV + "=type=jdbc,uri=...)");
                }
                Map<String, String> tableNames = v.map(ConfigKeys.ICEBERG_TABLE_NAMES_SECTION);
                Map<String, String> byName = new HashMap<>();
                tableNames.forEach((dynamo, name) -> {
                    if (!name.matches(CATALOG_TABLE_NAME)) {
                        v.problem(ConfigKeys.ICEBERG_TABLE_NAMES_SECTION + "." + dynamo + ": '" + name + "' is not a "
                                + "catalog table name (lowercase letters, digits and '_', starting with a letter; Glue's rule)");
                    }
                    String other = byName.putIfAbsent(name, dynamo);
                    if (other != null) {
                        v.problem(ConfigKeys.ICEBERG_TABLE_NAMES_SECTION + ": '" + other + "' and '" + dynamo
                                + "' both map to '" + name + "'");
                    }
                });
                return new IcebergSettings(v.get(CATALOG_NAME), v.catalog(), v.get(NAMESPACE),
                        Duration.ofSeconds(v.get(COMMIT_SECONDS)), v.get(PARTITION_BY), tableNames);
            });

    private IcebergConfig() {
    }
}
