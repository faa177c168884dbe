package io.lakehose.testing;

import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.URI;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The workers' Iceberg warehouse as the tests read it back: a JDBC catalog on one SQLite file
 * and a warehouse prefix in the S3 emulator's bucket (the workers' configuration), opened with
 * Iceberg's own catalog and generic reader; rows as "shard/sequence", the data files a table
 * references and those stored under the warehouse, and the shards' watermarks in a snapshot.
 */
public final class IcebergLake implements AutoCloseable {

    /** The summary key of a shard's watermark (docs/design.md, "Tables"). */
    public static final String WATERMARK = "lakehose.watermark.";

    private final S3Emulator s3;
    private final String warehousePrefix;
    private final Catalog catalog;

    private IcebergLake(S3Emulator s3, String warehousePrefix, Catalog catalog) {
        this.s3 = s3;
        this.warehousePrefix = warehousePrefix;
        this.catalog = catalog;
    }

    /**
     * The workers' configuration of a JDBC catalog on {@code sqlite} with its warehouse under
     * {@code warehousePrefix} of the emulator's bucket, as {@code iceberg.catalog.*} keys.
     */
    public static Map<String, String> workerConfig(S3Emulator s3, Path sqlite, String warehousePrefix) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("iceberg.catalog.type", "jdbc");
        c.put("iceberg.catalog.uri", "jdbc:sqlite:" + sqlite.toAbsolutePath());
        c.put("iceberg.catalog.warehouse", "s3://" + s3.bucket() + "/" + warehousePrefix);
        return c;
    }

    /**
     * {@link #workerConfig} and what the Iceberg process tests share: {@code lake.format: iceberg}
     * into {@code namespace}, a commit every {@code commitIntervalSeconds}, and small files (50
     * records, sealed after a second), so that every commit has files to take. Mutable.
     */
    public static Map<String, String> tableWorkerConfig(S3Emulator s3, Path sqlite, String warehousePrefix, String namespace,
                                                        int commitIntervalSeconds) {
        Map<String, String> c = workerConfig(s3, sqlite, warehousePrefix);
        c.put("buffer.maxRecords", "50");
        c.put("buffer.maxAgeSeconds", "1");
        c.put("lake.format", "iceberg");
        c.put("iceberg.namespace", namespace);
        c.put("iceberg.commitIntervalSeconds", Integer.toString(commitIntervalSeconds));
        return c;
    }

    /**
     * Opens the catalog of {@link #workerConfig} for reading, through S3FileIO straight to the
     * emulator; named "lakehose" like the workers' (a JDBC catalog is scoped by its name).
     */
    public static IcebergLake open(S3Emulator s3, Path sqlite, String warehousePrefix) {
        Map<String, String> props = new HashMap<>();
        workerConfig(s3, sqlite, warehousePrefix).forEach((k, v) -> props.put(k.substring("iceberg.catalog.".length()), v));
        props.putAll(s3FileIoProperties(s3.endpoint()));
        return new IcebergLake(s3, warehousePrefix, CatalogUtil.buildIcebergCatalog("lakehose", props, null));
    }

    /**
     * Catalog properties for Iceberg's S3FileIO straight to the emulator at {@code endpoint}, with
     * its dummy identity, and SQLite's JDBC catalog schema: what every test catalog on the emulator shares.
     */
    public static Map<String, String> s3FileIoProperties(URI endpoint) {
        Map<String, String> props = new HashMap<>();
        props.put("jdbc.schema-version", "V1");
        props.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        props.put("s3.endpoint", endpoint.toString());
        props.put("s3.path-style-access", "true");
        props.put("s3.access-key-id", EmulatorAccess.ACCESS_KEY);
        props.put("s3.secret-access-key", EmulatorAccess.SECRET_KEY);
        props.put("client.region", EmulatorAccess.REGION);
        props.put("http-client.type", "urlconnection");
        return props;
    }

    public Table table(String namespace, String name) {
        return catalog.loadTable(TableIdentifier.of(Namespace.of(namespace), name));
    }

    /** "shard/sequence" of every row of {@code table}'s current snapshot, duplicates kept. */
    public static List<String> rows(Table table) {
        List<String> rows = new ArrayList<>();
        try (CloseableIterable<Record> all = IcebergGenerics.read(table).build()) {
            all.forEach(r -> rows.add(r.getField("shard_id") + "/" + r.getField("sequence_number")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** "shard/sequence" of every row of one data file of {@code table}, referenced or not (e.g. an orphan). */
    public static List<String> fileRows(Table table, String location) {
        List<String> rows = new ArrayList<>();
        try (CloseableIterable<Record> all = Parquet.read(table.io().newInputFile(location)).project(table.schema())
                .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(table.schema(), fileSchema)).build()) {
            all.forEach(r -> rows.add(r.getField("shard_id") + "/" + r.getField("sequence_number")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** The locations of the data files {@code table}'s current snapshot references. */
    public static Set<String> referencedDataFiles(Table table) {
        Set<String> referenced = new TreeSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            tasks.forEach(t -> referenced.add(t.file().location()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return referenced;
    }

    /**
     * The local paths of the data files {@code table}'s current snapshot references (a table of
     * local files, a change log: none with deletes), for a reader of plain Parquet files.
     */
    public static List<Path> localDataFiles(Table table) {
        List<Path> files = new ArrayList<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask t : tasks) {
                if (!t.deletes().isEmpty()) {
                    throw new AssertionError(t.file().location() + " has deletes; its rows are not the file's rows");
                }
                files.add(Path.of(URI.create(t.file().location())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** The locations ({@code s3://bucket/key}) of every object under the warehouse's data folders. */
    public Set<String> storedDataFiles() {
        Set<String> data = new TreeSet<>();
        for (S3Object o : s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehousePrefix + "/"))
                .contents()) {
            if (o.key().contains("/data/")) {
                data.add("s3://" + s3.bucket() + "/" + o.key());
            }
        }
        return data;
    }

    /** Every object under the warehouse prefix, data and metadata. */
    public int storedObjects() {
        int n = 0;
        for (S3Object ignored : s3.client().listObjectsV2Paginator(b -> b.bucket(s3.bucket()).prefix(warehousePrefix + "/"))
                .contents()) {
            n++;
        }
        return n;
    }

    /** Shard to watermark in {@code snapshot}'s summary (empty for none). */
    public static Map<String, String> watermarks(Snapshot snapshot) {
        Map<String, String> marks = new TreeMap<>();
        if (snapshot != null) {
            snapshot.summary().forEach((k, v) -> {
                if (k.startsWith(WATERMARK)) {
                    marks.put(k.substring(WATERMARK.length()), v);
                }
            });
        }
        return marks;
    }

    @Override
    public void close() throws Exception {
        if (catalog instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
