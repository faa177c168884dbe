package io.lakehose.commit.iceberg;

import io.lakehose.config.ConfigException;
import io.lakehose.sink.S3Settings;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.exceptions.ForbiddenException;
import org.apache.iceberg.exceptions.NotAuthorizedException;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catalog of {@code iceberg.catalog}, through Iceberg's own CatalogUtil, with the defaults a
 * lakehose lake needs added where the properties do not say otherwise: S3FileIO for an s3://
 * warehouse with the SDK's URL-connection client (Iceberg's default client is not on our SDK line),
 * SSE-KMS with {@code s3.kmsKeyId} (no object without it when a key is configured), and the
 * endpoint, path style and region of the {@code s3.*} settings. Checked at start: a catalog that
 * cannot be built or reached fails with the key to fix.
 */
public final class IcebergCatalogs {

    private static final int CATALOG_BUILD_ATTEMPTS = 5;
    private static final Pattern DENIED = Pattern.compile("not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)");

    private IcebergCatalogs() {
    }

    /** The properties given to CatalogUtil: the configured ones plus lakehose's defaults. */
    public static Map<String, String> properties(Map<String, String> configured, S3Settings s3) {
        Map<String, String> p = new LinkedHashMap<>(configured);
        String warehouse = p.getOrDefault("warehouse", "");
        if (warehouse.startsWith("s3://") || warehouse.startsWith("s3a://")) {
            p.putIfAbsent("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        }
        p.putIfAbsent("http-client.type", "urlconnection");
        s3.kmsKey().ifPresent(key -> {
            p.putIfAbsent("s3.sse.type", "kms");
            p.putIfAbsent("s3.sse.key", key.value());
        });
        s3.endpoint().ifPresent(endpoint -> p.putIfAbsent("s3.endpoint", endpoint.toString()));
        if (s3.pathStyleAccess()) {
            p.putIfAbsent("s3.path-style-access", "true");
        }
        p.putIfAbsent("client.region", s3.region());
        if (p.getOrDefault("uri", "").startsWith("jdbc:sqlite:")) {
            p.putIfAbsent("jdbc.schema-version", "V1");
        }
        return p;
    }

    /** Builds the catalog and lists its namespaces once, so that a wrong setting fails now. */
    public static Catalog open(String name, Map<String, String> properties) throws ConfigException {
        Catalog catalog;
        try {
            catalog = build(name, properties);
        } catch (RuntimeException e) {
            String key = keyToBlame(e, properties);
            throw new ConfigException("iceberg.catalog." + key + ": cannot build the Iceberg catalog ("
                    + properties.getOrDefault(key, "not set") + "): " + rootMessage(e));
        }
        if (catalog instanceof SupportsNamespaces namespaces) {
            try {
                namespaces.listNamespaces();
            } catch (RuntimeException e) {
                Optional<String> denied = deniedAction(e);
                if (denied.isPresent()) {
                    throw new ConfigException("iceberg.catalog: the catalog refused " + denied.get() + " to the role "
                            + "lakehose runs as (it needs the catalog's read and write permissions on the namespace "
                            + "and its tables; `lakehose preflight` lists them): " + rootMessage(e));
                }
                throw new ConfigException("iceberg.catalog.uri: cannot reach the Iceberg catalog at "
                        + properties.getOrDefault("uri", "(no uri)") + ": " + rootMessage(e));
            }
        }
        return catalog;
    }

    /**
     * Iceberg's JDBC catalog creates (and migrates) its own tables when it is built, checking
     * first whether they exist: workers starting at once on a fresh database race, and the losers
     * fail with "already exists" or "duplicate column". Built again, they find the tables made.
     */
    private static Catalog build(String name, Map<String, String> properties) {
        for (int attempt = 1; ; attempt++) {
            try {
                return CatalogUtil.buildIcebergCatalog(name, properties, null);
            } catch (RuntimeException e) {
                if (attempt >= CATALOG_BUILD_ATTEMPTS || !lostSetUpRace(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(100L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static boolean lostSetUpRace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof SQLException && (message.contains("already exists") || message.contains("duplicate column"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The action a catalog refused, if {@code e} is a refusal: the AWS error's own words
     * ("not authorized to perform: glue:GetDatabases"), or an HTTP 403 of a REST catalog.
     */
    public static Optional<String> deniedAction(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Matcher m = DENIED.matcher(String.valueOf(t.getMessage()));
            if (m.find()) {
                return Optional.of(m.group(1));
            }
            if (t instanceof ForbiddenException || t instanceof NotAuthorizedException
                    || t.getClass().getSimpleName().equals("AccessDeniedException")) {
                return Optional.of("the call (" + t.getClass().getSimpleName() + ")");
            }
        }
        return Optional.empty();
    }

    /** Which setting a failure to build the catalog points at: where it connects, the warehouse, or the type. */
    private static String keyToBlame(RuntimeException e, Map<String, String> properties) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof SQLException || message.contains("connect")) {
                return "uri";
            }
            if (message.contains("warehouse")) {
                return "warehouse";
            }
        }
        return properties.containsKey("catalog-impl") ? "catalog-impl" : "type";
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
