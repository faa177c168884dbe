package io.lakehose.commit.iceberg;

import java.time.Duration;
import java.util.Map;

/**
 * How the Iceberg adapter reaches its catalog and shapes its tables.
 *
 * @param catalogName       the catalog's name for Iceberg (appears in metrics and logs)
 * @param catalogProperties passed to Iceberg's {@code CatalogUtil} unchanged ({@code type},
 *                          {@code uri}, {@code warehouse}, {@code io-impl}, {@code s3.*}, ...)
 * @param namespace         where the change-log tables are created
 * @param commitInterval    how often each worker commits what its shards finished
 * @param partitionBy       {@code day} or {@code hour} of {@code event_time}
 * @param tableNames        DynamoDB table name to catalog table name, where the rule
 *                          ({@link ChangeLogTables#catalogName}) is not wanted
 */
public record IcebergSettings(String catalogName, Map<String, String> catalogProperties, String namespace,
                              Duration commitInterval, String partitionBy, Map<String, String> tableNames) {

    public IcebergSettings {
        catalogProperties = Map.copyOf(catalogProperties);
        tableNames = Map.copyOf(tableNames);
        if (!partitionBy.equals("day") && !partitionBy.equals("hour")) {
            throw new IllegalArgumentException("partitionBy must be day or hour, not " + partitionBy);
        }
    }
}
