package io.lakehose.commit.iceberg.state;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.DataFileUpload;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.testing.IcebergLake;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A compacted file of the current-state table (unpartitioned) uploaded through
 * {@link DataFileUpload}, as maintenance's compaction does. It used to fail with
 * ArrayIndexOutOfBoundsException: the upload took the table's first partition field for granted
 * (the change log's day or hour), and the state table has none; seen as a failed compaction of
 * the state table in {@code MaintenanceWhileWorkersCommitTest}.
 */
class StateFileUploadTest {

    @TempDir
    Path dir;

    @Test
    void aFileOfTheUnpartitionedStateTableIsUploadedAndReadable() throws Exception {
        try (JdbcCatalog catalog = (JdbcCatalog) CatalogUtil.buildIcebergCatalog("lakehose",
                LocalWarehouse.writerProperties(dir), null)) {
            catalog.createNamespace(Namespace.of("cdc"));
            Table state = catalog.buildTable(TableIdentifier.of("cdc", "orders"), ChangeLogTables.SCHEMA)
                    .withPartitionSpec(PartitionSpec.unpartitioned()).create();
            DataFile written = StateFileWriting.threeRows(state);

            DataFile uploaded = DataFileUpload.upload(state, Path.of(URI.create(written.location())), "maintain-compact");

            assertThat(uploaded.recordCount()).isEqualTo(3);
            assertThat(uploaded.location()).startsWith(state.locationProvider().newDataLocation("x").replaceAll("x$", ""))
                    .doesNotContain("data//");
            state.newAppend().appendFile(uploaded).commit();
            assertThat(IcebergLake.rows(state)).containsExactlyInAnyOrder(
                    "shardId-000000000001/1", "shardId-000000000001/2", "shardId-000000000001/3");
        }
    }
}
