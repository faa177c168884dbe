package io.lakehose.local;

import io.lakehose.commit.iceberg.ChangeLogTables;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.CloseableIterable;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The rows of the local stack's Iceberg change-log table: the data files of its current snapshot,
 * as Iceberg's own scan plans them (a change log has no deletes, so its files are its rows), each
 * read as the service reads Parquet. Iceberg's generic record reader would bring Hadoop into this
 * jar; the service's tests use it.
 */
final class TableRows implements Closeable {

    private final Catalog catalog;
    private final TableIdentifier table;
    private final LakeRows files;
    private final String bucket;

    /** @param catalogProperties the JDBC catalog of the local configuration, with S3FileIO on the emulator */
    TableRows(Map<String, String> catalogProperties, String namespace, String bucket, LakeRows files) {
        this.catalog = CatalogUtil.buildIcebergCatalog(LocalStackMain.CATALOG, catalogProperties, null);
        this.table = TableIdentifier.of(namespace, ChangeLogTables.catalogName(LocalStackMain.TABLE));
        this.files = files;
        this.bucket = bucket;
    }

    String name() {
        return table.toString();
    }

    /** Prints every row of the table; returns how many there are (0 before the first commit). */
    int print(PrintStream out) throws IOException {
        List<String> keys = dataFileKeys();
        int rows = files.read(keys, key -> { }, row -> out.println("  " + LakeRows.line(row)));
        out.printf("%d row(s) in table %s (%d data file(s), current snapshot)%n", rows, table, keys.size());
        return rows;
    }

    /** Rows in the current snapshot, from its summary (no data file is read). */
    long count() {
        if (!catalog.tableExists(table)) {
            return 0;
        }
        Snapshot current = catalog.loadTable(table).currentSnapshot();
        return current == null ? 0 : Long.parseLong(current.summary().getOrDefault("total-records", "0"));
    }

    private List<String> dataFileKeys() throws IOException {
        if (!catalog.tableExists(table)) {
            return List.of();
        }
        Table t = catalog.loadTable(table);
        List<String> keys = new ArrayList<>();
        try (CloseableIterable<FileScanTask> tasks = t.newScan().planFiles()) {
            Consumer<FileScanTask> add = task -> {
                URI location = URI.create(task.file().location());
                if (!bucket.equals(location.getHost())) {
                    throw new IllegalStateException("data file outside the local bucket: " + location);
                }
                keys.add(location.getPath().substring(1));
            };
            tasks.forEach(add);
        }
        return keys;
    }

    @Override
    public void close() throws IOException {
        if (catalog instanceof Closeable c) {
            c.close();
        }
    }
}
