package io.lakehose.commit.iceberg.state;

import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.types.Types;

import java.util.List;
import java.util.Map;

/**
 * A current-state table's shape: the change-log table's columns (the change's whole row: the
 * envelope, or its typed columns), unpartitioned (a key's row would otherwise move between
 * partitions as its event time does), format v2, created on first use and given the typed
 * columns the change log gains.
 */
final class StateSchema {

    /** The table property that says a table is lakehose's current-state table of a DynamoDB table. */
    static final String STATE_OF = "lakehose.current-state-of";
    private static final String SOURCE_TABLE = "lakehose.source-table";

    private StateSchema() {
    }

    static Table createOrLoad(Catalog catalog, TableIdentifier id, Table changeLog, String dynamoTable) {
        Table t;
        if (catalog.tableExists(id)) {
            t = catalog.loadTable(id);
        } else {
            try {
                t = catalog.buildTable(id, changeLog.schema())
                        .withPartitionSpec(PartitionSpec.unpartitioned())
                        .withProperties(Map.of(
                                TableProperties.FORMAT_VERSION, "2",
                                TableProperties.DEFAULT_FILE_FORMAT, "parquet",
                                TableProperties.PARQUET_COMPRESSION, "zstd",
                                TableProperties.DELETE_MODE, "merge-on-read",
                                TableProperties.UPDATE_MODE, "merge-on-read",
                                TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                                TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "50",
                                SOURCE_TABLE, dynamoTable,
                                STATE_OF, dynamoTable))
                        .create();
            } catch (AlreadyExistsException createdMeanwhile) {
                t = catalog.loadTable(id);
            }
        }
        String of = t.properties().get(STATE_OF);
        if (!dynamoTable.equals(of)) {
            throw new IllegalStateException("the Iceberg table " + id + " is not the current-state table of DynamoDB table '"
                    + dynamoTable + "' (" + (of == null ? "lakehose did not create it" : "it is that of '" + of + "'")
                    + "); rename it or turn iceberg.currentState off");
        }
        return t;
    }

    /** Adds the change log's columns the state table lacks (optional, by name; nothing dropped). */
    static void addMissingColumns(Table state, Schema changeLog) {
        List<Types.NestedField> missing = changeLog.columns().stream()
                .filter(f -> state.schema().findField(f.name()) == null).toList();
        if (!missing.isEmpty()) {
            state.updateSchema().unionByNameWith(changeLog).commit();
            state.refresh();
        }
    }
}
