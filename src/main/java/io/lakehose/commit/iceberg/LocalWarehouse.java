package io.lakehose.commit.iceberg;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A self-contained Iceberg warehouse in a directory (docs/design.md, "Tables (Apache Iceberg)"): a JDBC
 * catalog on SQLite ({@value #CATALOG_DB}) and the tables' files under {@code warehouse/}, all at
 * absolute {@code file:} locations, so that the directory can be read from any working directory.
 * {@value #READER_PROPERTIES} holds the catalog's properties for readers: Iceberg's
 * {@code CatalogUtil.buildIcebergCatalog(name, properties, hadoopConf)} loads it as it is, with its
 * default FileIO; only this writer adds its own {@link LocalFileIO}.
 */
public final class LocalWarehouse {

    public static final String CATALOG_DB = "catalog.db";
    public static final String READER_PROPERTIES = "catalog.properties";

    private LocalWarehouse() {
    }

    /** The catalog's properties as readers use them: no class of lakehose named. */
    public static Map<String, String> readerProperties(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("type", "jdbc");
        p.put("uri", "jdbc:sqlite:" + root.resolve(CATALOG_DB));
        p.put("jdbc.schema-version", "V1");
        p.put("warehouse", root.resolve("warehouse").toUri().toString().replaceAll("/$", ""));
        return p;
    }

    /** The same, for this writer: local files without Hadoop. */
    public static Map<String, String> writerProperties(Path dir) {
        Map<String, String> p = readerProperties(dir);
        p.put("io-impl", LocalFileIO.class.getName());
        return p;
    }

    /**
     * Writes {@value #READER_PROPERTIES} with the catalog's name (a JDBC catalog files its tables
     * under it, so readers must use the same one).
     */
    public static void writeReaderProperties(Path dir, String catalogName) throws IOException {
        Properties props = new Properties();
        readerProperties(dir).forEach(props::setProperty);
        try (Writer w = Files.newBufferedWriter(dir.resolve(READER_PROPERTIES), StandardCharsets.UTF_8)) {
            props.store(w, "Iceberg catalog of this directory, written by lakehose convert. Load it with "
                    + "CatalogUtil.buildIcebergCatalog(\"" + catalogName + "\", properties, new Configuration()); "
                    + "the catalog's name must be " + catalogName + ".");
        }
    }
}
