package io.lakehose.commit.iceberg;

import io.lakehose.config.ConfigException;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.avro.AvroSchemaUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.types.Types;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change-log tables {@code <namespace>.<name>_changes}: the envelope's columns in Iceberg
 * types, partitioned by day (or hour) of {@code event_time}, format v2, created on first use
 * (docs/design.md, "Tables").
 *
 * <p>The data files are the pipeline's own Parquet files, written with the table's field ids
 * ({@link IcebergCommitter#columnIds}); the table's name mapping also maps their columns by name,
 * for the files of releases that wrote no ids.
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

    /**
     * The table property naming the DynamoDB table whose change log the table is, set when
     * lakehose creates it: which of two names that map to one table owns it is then the same for
     * every worker and after every restart.
     */
    public static final String SOURCE_TABLE = "lakehose.source-table";

    private final Catalog catalog;
    private final IcebergSettings settings;
    /** Catalog name to its change-log table. */
    private final Map<String, Table> byName = new ConcurrentHashMap<>();
    /** The Parquet row schema of each DynamoDB table with a typed schema. */
    private final Map<String, org.apache.avro.Schema> typedRows;
    /** Catalog name to what its data files need of it (read by the shards and the upload threads). */
    private final Map<String, DataFileTarget> targets = new ConcurrentHashMap<>();
    /** Catalog name to the DynamoDB table that has it: two tables may not share one. */
    private final Map<String, String> owners = new ConcurrentHashMap<>();

    ChangeLogTables(Catalog catalog, IcebergSettings settings, Map<String, org.apache.avro.Schema> typedRows) {
        this.catalog = catalog;
        this.settings = settings;
        this.typedRows = Map.copyOf(typedRows);
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

    /**
     * Why an existing table cannot take the envelope's rows, if it cannot: a column missing or of
     * another type, one the envelope may leave empty declared required, or a required column the
     * envelope does not have. Columns added beside the envelope's (optional) are fine.
     */
    public static Optional<String> incompatibility(Schema existing) {
        List<String> problems = new ArrayList<>();
        for (Types.NestedField want : SCHEMA.columns()) {
            Types.NestedField have = existing.findField(want.name());
            if (have == null) {
                problems.add("has no column " + want.name());
            } else if (!have.type().equals(want.type())) {
                problems.add("column " + want.name() + " is " + have.type() + ", not " + want.type());
            } else if (have.isRequired() && want.isOptional()) {
                problems.add("column " + want.name() + " is required but may be empty in a change record");
            }
        }
        for (Types.NestedField extra : existing.columns()) {
            if (extra.isRequired() && SCHEMA.findField(extra.name()) == null) {
                problems.add("column " + extra.name() + " is required and no change record has it");
            }
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /**
     * Checks at start every change-log table the namespace already holds (a {@code _changes}
     * table, or one named in {@code iceberg.tableNames}): one that cannot take the envelope fails
     * now, naming it and what is wrong, instead of at its first commit.
     */
    public static void checkExisting(Catalog catalog, IcebergSettings settings) throws ConfigException {
        Namespace namespace = Namespace.of(settings.namespace());
        if (catalog instanceof SupportsNamespaces ns && !ns.namespaceExists(namespace)) {
            return;
        }
        List<String> problems = new ArrayList<>();
        for (TableIdentifier id : catalog.listTables(namespace)) {
            if (id.name().endsWith("_changes") || settings.tableNames().containsValue(id.name())) {
                incompatibility(catalog.loadTable(id).schema()).ifPresent(why -> problems.add(id + " " + why));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("iceberg.namespace: " + settings.namespace() + " holds change-log tables that "
                    + "cannot take lakehose's change records (drop or rename them, or choose another namespace or "
                    + "iceberg.tableNames): " + String.join(" | ", problems));
        }
    }

    /**
     * Why the changes of {@code dynamoTable} cannot go to its change-log table, if they cannot:
     * another DynamoDB table has that table ({@code ORDERS} and {@code orders} map to one name).
     * The owner is the table it was created for ({@link #SOURCE_TABLE}); a table created by an
     * earlier release, which does not say, belongs to the first of the names this process meets.
     * Creates the change-log table when missing.
     */
    Optional<String> conflict(String dynamoTable) {
        String name = name(dynamoTable);
        String owner = owners.computeIfAbsent(name, n -> ownerOf(dynamoTable, n));
        return owner.equals(dynamoTable) ? Optional.empty()
                : Optional.of("the Iceberg table " + settings.namespace() + "." + name + " holds the changes of DynamoDB "
                        + "table '" + owner + "', not of '" + dynamoTable + "'");
    }

    /**
     * The change-log table of a DynamoDB table, created when missing; never another table's. A
     * table this worker already used is only ever loaded again: one dropped while the service
     * runs stays dropped (its commits fail, naming it) until a new worker starts.
     */
    Table table(String dynamoTable) {
        conflict(dynamoTable).ifPresent(why -> {
            throw new IllegalStateException(why); // the pipeline refuses such records before they get here
        });
        return byName.computeIfAbsent(name(dynamoTable), n -> catalog.loadTable(identifier(n)));
    }

    /**
     * What writing and uploading a data file of {@code dynamoTable} needs of its change-log table,
     * without touching the table object the commit thread commits through ({@link DataFileTarget}).
     */
    DataFileTarget target(String dynamoTable) {
        DataFileTarget known = targets.get(name(dynamoTable));
        return known != null ? known : targets.computeIfAbsent(name(dynamoTable), n -> DataFileTarget.of(table(dynamoTable)));
    }

    /** {@code table} was just read from the catalog (by the commit thread): its data files' target follows it. */
    void refreshed(String dynamoTable, Table table) {
        targets.compute(name(dynamoTable), (n, old) -> old == null ? DataFileTarget.of(table) : old.renewedFrom(table));
    }

    /** After a failed commit: the table object may be stale or broken; the next use loads it again. */
    void forget(String dynamoTable) {
        byName.remove(name(dynamoTable));
    }

    /** The table again from the catalog (after a commit that did not say whether it landed). */
    Table reload(String dynamoTable) {
        Table fresh = catalog.loadTable(identifier(name(dynamoTable)));
        byName.put(name(dynamoTable), fresh);
        refreshed(dynamoTable, fresh);
        return fresh;
    }

    /** The catalog identifier of the change-log table of {@code dynamoTable}. */
    TableIdentifier id(String dynamoTable) {
        return identifier(name(dynamoTable));
    }

    private String name(String dynamoTable) {
        return settings.tableNames().getOrDefault(dynamoTable, catalogName(dynamoTable));
    }

    private TableIdentifier identifier(String name) {
        return TableIdentifier.of(Namespace.of(settings.namespace()), name);
    }

    /** Loads or creates the table {@code name} for {@code dynamoTable}; returns the DynamoDB table it belongs to. */
    private String ownerOf(String dynamoTable, String name) {
        Table t = createOrLoad(dynamoTable, identifier(name));
        byName.put(name, t);
        return t.properties().getOrDefault(SOURCE_TABLE, dynamoTable);
    }

    private Table createOrLoad(String dynamoTable, TableIdentifier id) {
        Table table = createOrLoadEnvelope(dynamoTable, id);
        org.apache.avro.Schema typed = typedRows.get(dynamoTable);
        return typed == null ? table : withTypedColumns(table, AvroSchemaUtil.toIceberg(typed));
    }

    /**
     * The table with every column of the typed rows it lacks added (optional; nothing is ever
     * dropped or retyped), and its name mapping renewed so that the data files' columns are read
     * by name. Another worker adding the same columns at once makes this commit fail: then the
     * table is loaded again and only what is still missing is added.
     */
    private Table withTypedColumns(Table table, Schema typed) {
        for (int attempt = 0; ; attempt++) {
            List<Types.NestedField> missing = typed.columns().stream()
                    .filter(f -> table.schema().findField(f.name()) == null).toList();
            if (missing.isEmpty()) {
                return table;
            }
            try {
                UpdateSchema update = table.updateSchema();
                missing.forEach(f -> update.addColumn(f.name(), f.type(), f.doc()));
                update.commit();
                table.updateProperties().set(TableProperties.DEFAULT_NAME_MAPPING,
                        NameMappingParser.toJson(MappingUtil.create(table.schema()))).commit();
                return table;
            } catch (CommitFailedException | IllegalArgumentException e) {
                if (attempt >= 3) {
                    throw e;
                }
                table.refresh();
            }
        }
    }

    private Table createOrLoadEnvelope(String dynamoTable, TableIdentifier id) {
        if (catalog instanceof SupportsNamespaces ns && !ns.namespaceExists(id.namespace())) {
            try {
                ns.createNamespace(id.namespace());
            } catch (AlreadyExistsException createdMeanwhile) {
                // another worker created it first
            } catch (RuntimeException e) {
                // JdbcCatalog checks, then inserts: a worker that loses that race gets the database's
                // unique-key error (UncheckedSQLException), not AlreadyExistsException.
                if (!ns.namespaceExists(id.namespace())) {
                    throw e;
                }
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
                            // Files of earlier releases carry no field ids: their columns are mapped by name.
                            TableProperties.DEFAULT_NAME_MAPPING, NameMappingParser.toJson(MappingUtil.create(SCHEMA)),
                            // Every commit writes a metadata file; keep their number bounded.
                            TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                            TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "50",
                            SOURCE_TABLE, dynamoTable))
                    .create();
        } catch (AlreadyExistsException createdMeanwhile) {
            return catalog.loadTable(id); // created for whichever table came first: its SOURCE_TABLE says
        }
    }
}
