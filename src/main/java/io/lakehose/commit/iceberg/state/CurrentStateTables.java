package io.lakehose.commit.iceberg.state;

import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The current-state tables of a worker, one per change-log table, created on first use (docs/design.md,
 * "Tables", current-state table). {@code <namespace>.<name>_changes} has {@code <namespace>.<name>};
 * a change-log table named otherwise ({@code iceberg.tableNames}) has its name plus {@code _state}.
 */
public final class CurrentStateTables {

    private final Catalog catalog;
    private final CurrentStateSettings settings;
    private final String writerId;
    private final Map<String, CurrentStateTable> byDynamoTable = new ConcurrentHashMap<>();

    /** @param writerId prefixes the names of the files this writer writes (the worker, for tracing an orphan) */
    public CurrentStateTables(Catalog catalog, CurrentStateSettings settings, String writerId) {
        this.catalog = catalog;
        this.settings = settings;
        this.writerId = writerId;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    public static String stateName(String changeLogName) {
        return changeLogName.endsWith("_changes")
                ? changeLogName.substring(0, changeLogName.length() - "_changes".length())
                : changeLogName + "_state";
    }

    /** The state table of {@code dynamoTable}, whose change-log table is {@code changeLog}. */
    public CurrentStateTable of(String dynamoTable, TableIdentifier changeLogId, Table changeLog) {
        return byDynamoTable.computeIfAbsent(dynamoTable, t -> {
            TableIdentifier id = TableIdentifier.of(changeLogId.namespace(), stateName(changeLogId.name()));
            return new CurrentStateTable(changeLog, StateSchema.createOrLoad(catalog, id, changeLog, t),
                    settings.orderAttribute(t), settings.keepTombstones(), writerId);
        });
    }

    /** After a failure: the next use loads the tables again and rebuilds the index. */
    public void forget(String dynamoTable) {
        byDynamoTable.remove(dynamoTable);
    }
}
