package io.lakehose.commit.iceberg;

import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.types.Types;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change-log tables {@code <namespace>.<name>_changes}: the envelope's columns in Iceberg
 * types, partitioned by day (or hour) of {@code event_time}, format v2, created on first use
 * (docs/design.md, "Tables").
 *
 * <p>The data files are the pipeline's own Parquet files (no Iceberg field ids in them); the
 * table's name mapping maps their columns by name, so every engine reads them by name.
 */
public final class ChangeLogTables {

    public static final Schema SCHEMA = new Schema(
            Types.NestedField.required(1, "event_id", Types.StringType.get()),
            Types.NestedField.required(2, "event_name", Types.StringType.get()),
            Types.NestedField.required(3, "table_name", Types.StringType.get()),
            Types.NestedField.optional(4, "aws_region", Types.StringType.get()),
            Types.NestedField.required(5, "event_time", Types.TimestampType.withZone()),
            Types.NestedField.optional(6, "user_identity", Types.StringType.get()),
            Types.NestedField.required(7, "keys", Types.StringType.get()),
            Types.NestedField.optional(8, "new_image", Types.StringType.get()),
            Types.NestedField.optional(9, "old_image", Types.StringType.get()),
            Types.NestedField.optional(10, "size_bytes", Types.LongType.get()),
            Types.NestedField.required(11, "shard_id", Types.StringType.get()),
            Types.NestedField.required(12, "sequence_number", Types.StringType.get()),
            Types.NestedField.required(13, "sub_sequence_number", Types.LongType.get()),
            Types.NestedField.required(14, "arrival_time", Types.TimestampType.withZone()));

    private final Catalog catalog;
    private final IcebergSettings settings;
    private final Map<String, Table> byDynamoTable = new ConcurrentHashMap<>();
    /** Tables this worker created or loaded once. */
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    /** Catalog name to the DynamoDB table that has it: two tables may not share one. */
    private final Map<String, String> owners = new ConcurrentHashMap<>();

    ChangeLogTables(Catalog catalog, IcebergSettings settings) {
        this.catalog = catalog;
        this.settings = settings;
    }

    /**
     * The catalog table name for a DynamoDB table: lowercase, every character other than a-z, 0-9
     * and '_' replaced by '_', then {@code _changes} (Glue allows only lowercase letters, digits
     * and underscores). {@code Orders.v2} becomes {@code orders_v2_changes}.
     */
    public static String catalogName(String dynamoTable) {
        StringBuilder out = new StringBuilder(dynamoTable.length() + 8);
        for (char c : dynamoTable.toLowerCase(Locale.ROOT).toCharArray()) {
            out.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        return out.append("_changes").toString();
    }

    TableIdentifier identifier(String dynamoTable) {
        String name = settings.tableNames().getOrDefault(dynamoTable, catalogName(dynamoTable));
        String owner = owners.putIfAbsent(name, dynamoTable);
        if (owner != null && !owner.equals(dynamoTable)) {
            throw new IllegalStateException("DynamoDB tables '" + owner + "' and '" + dynamoTable + "' both map to the "
                    + "Iceberg table " + settings.namespace() + "." + name + "; name one of them under iceberg.tableNames");
        }
        return TableIdentifier.of(Namespace.of(settings.namespace()), name);
    }

    /** The change-log table of a DynamoDB table, created when missing. */
    Table table(String dynamoTable) {
        // A table this worker already used is only ever loaded again: one dropped while the
        // service runs stays dropped (its commits fail, naming it) until a new worker starts.
        return byDynamoTable.computeIfAbsent(dynamoTable, t -> known.contains(t)
                ? catalog.loadTable(identifier(t)) : createOrLoad(t));
    }

    /** After a failed commit: the table object may be stale or broken; the next use loads it again. */
    void forget(String dynamoTable) {
        byDynamoTable.remove(dynamoTable);
    }

    /** The table again from the catalog (after a commit that did not say whether it landed). */
    Table reload(String dynamoTable) {
        Table fresh = catalog.loadTable(identifier(dynamoTable));
        byDynamoTable.put(dynamoTable, fresh);
        return fresh;
    }

    private Table createOrLoad(String dynamoTable) {
        known.add(dynamoTable);
        TableIdentifier id = identifier(dynamoTable);
        if (catalog instanceof SupportsNamespaces ns && !ns.namespaceExists(id.namespace())) {
            try {
                ns.createNamespace(id.namespace());
            } catch (AlreadyExistsException createdMeanwhile) {
                // another worker created it first
            }
        }
        if (catalog.tableExists(id)) {
            return catalog.loadTable(id);
        }
        PartitionSpec spec = settings.partitionBy().equals("hour")
                ? PartitionSpec.builderFor(SCHEMA).hour("event_time").build()
                : PartitionSpec.builderFor(SCHEMA).day("event_time").build();
        try {
            return catalog.buildTable(id, SCHEMA)
                    .withPartitionSpec(spec)
                    .withProperties(Map.of(
                            TableProperties.FORMAT_VERSION, "2",
                            TableProperties.DEFAULT_FILE_FORMAT, "parquet",
                            TableProperties.PARQUET_COMPRESSION, "zstd",
                            // The pipeline's Parquet files carry no field ids: columns are mapped by name.
                            TableProperties.DEFAULT_NAME_MAPPING, NameMappingParser.toJson(MappingUtil.create(SCHEMA)),
                            // Every commit writes a metadata file; keep their number bounded.
                            TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                            TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "50"))
                    .create();
        } catch (AlreadyExistsException createdMeanwhile) {
            return catalog.loadTable(id);
        }
    }
}
