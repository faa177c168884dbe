package io.lakehose.config;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The catalogue of the configuration: its sections, in the order the reference lists them, and
 * through them every key (path, default, validator and documentation live in each section's own
 * file, beside the record they build).
 */
public final class ConfigKeys {

    /** Every section; the loader builds each, and rejects YAML keys none of them declares (typos fail at start). */
    public static final List<Section<?>> SECTIONS = List.of(LakeConfig.SECTION, InputConfig.SECTION,
            IcebergConfig.SECTION, CurrentStateConfig.SECTION, S3Config.SECTION, BufferConfig.SECTION, ParquetConfig.SECTION,
            KinesisSettings.SECTION, BackfillSource.SECTION, HttpConfig.SECTION, MaintainConfig.SECTION);

    /** Every key of every section, in the sections' order. */
    public static final List<ConfigKey<?>> ALL = SECTIONS.stream().flatMap(s -> s.keys().stream()).toList();

    public static final Map<String, ConfigKey<?>> BY_PATH = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(ConfigKey::path, k -> k));

    /** How the worker reads shards. */
    public enum Retrieval { POLLING, FANOUT }

    /** Which adapter of the commit port writes the data (docs/design.md, "Commit protocol"). */
    public enum LakeFormat { FOLDERS, ICEBERG, BOTH }

    /**
     * Iceberg catalog properties, passed to Iceberg's CatalogUtil unchanged: the YAML mapping
     * {@code iceberg.catalog: {type: jdbc, uri: ..., warehouse: ...}}, or in the environment
     * {@value #ICEBERG_CATALOG_ENV} as comma-separated {@code key=value} pairs.
     */
    public static final String ICEBERG_CATALOG_SECTION = "iceberg.catalog";
    public static final String ICEBERG_CATALOG_ENV = "LAKEHOSE_ICEBERG_CATALOG";

    /**
     * Catalog table names where the rule is not wanted: {@code iceberg.tableNames: {Orders.v2: orders}}
     * (DynamoDB table -> catalog name), or {@value #ICEBERG_TABLE_NAMES_ENV}{@code =Orders.v2=orders,...}.
     */
    public static final String ICEBERG_TABLE_NAMES_SECTION = "iceberg.tableNames";
    public static final String ICEBERG_TABLE_NAMES_ENV = "LAKEHOSE_ICEBERG_TABLE_NAMES";

    /**
     * The item attribute that orders a table's changes in its current-state table (a version
     * counter or an update timestamp the application writes): {@code iceberg.orderAttributes: {Orders: version}},
     * or {@value #ICEBERG_ORDER_ATTRIBUTES_ENV}{@code =Orders=version,...}.
     */
    public static final String ICEBERG_ORDER_ATTRIBUTES_SECTION = "iceberg.orderAttributes";
    public static final String ICEBERG_ORDER_ATTRIBUTES_ENV = "LAKEHOSE_ICEBERG_ORDER_ATTRIBUTES";

    /** The free-form sections that map names to values, and the variable that sets each. */
    public static final Map<String, String> FREE_MAPS = Map.of(ICEBERG_CATALOG_SECTION, ICEBERG_CATALOG_ENV,
            ICEBERG_TABLE_NAMES_SECTION, ICEBERG_TABLE_NAMES_ENV,
            ICEBERG_ORDER_ATTRIBUTES_SECTION, ICEBERG_ORDER_ATTRIBUTES_ENV);

    /** Per-table typed schemas: {@code tables.<tableName>.schema: path/to/schema.avsc}. */
    public static final String TABLES_SECTION = "tables";
    public static final String TABLE_SCHEMA_ENV = "LAKEHOSE_TABLE_SCHEMAS";

    private ConfigKeys() {
    }
}
