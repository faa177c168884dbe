package io.lakehose.preflight;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.IcebergCatalogs;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.config.ConfigException;
import io.lakehose.sink.S3Settings;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The Iceberg catalog of {@code iceberg.catalog} (lake.format iceberg or both), read only: it can
 * be built and listed, the namespace exists (or {@code run} will create it, which needs the
 * permission to), and every change-log table already in it can take the envelope. A refusal names
 * the action the catalog refused (for Glue, e.g. {@code glue:GetDatabases}) and the statement the
 * role needs. Nothing is created: a namespace or table is only made by {@code run}.
 */
final class IcebergCatalogCheck {

    static final String NAME = "iceberg-catalog";

    private final IcebergSettings settings;
    private final S3Settings s3;

    IcebergCatalogCheck(IcebergSettings settings, S3Settings s3) {
        this.settings = settings;
        this.s3 = s3;
    }

    CheckResult run() {
        String type = settings.catalogProperties().getOrDefault("type",
                settings.catalogProperties().getOrDefault("catalog-impl", "?"));
        Catalog catalog;
        try {
            catalog = IcebergCatalogs.open(settings.catalogName(), IcebergCatalogs.properties(settings.catalogProperties(), s3));
        } catch (ConfigException e) {
            return fail(e.getMessage(), e);
        }
        Namespace namespace = Namespace.of(settings.namespace());
        try {
            boolean exists = !(catalog instanceof SupportsNamespaces ns) || ns.namespaceExists(namespace);
            ChangeLogTables.checkExisting(catalog, settings);
            return CheckResult.pass(NAME, type + " catalog " + settings.catalogName() + ": listed; namespace "
                    + settings.namespace() + (exists ? " exists, its change-log tables can take the change records"
                    : " does not exist yet: run creates it (the role needs the catalog's create-namespace permission"
                    + (type.equals("glue") ? ", glue:CreateDatabase" : "") + ")"));
        } catch (ConfigException e) {
            return fail(e.getMessage(), e);
        } catch (RuntimeException e) {
            return fail("reading namespace " + settings.namespace() + " failed: " + e.getMessage(), e);
        } finally {
            close(catalog);
        }
    }

    /** The catalog's FileIO holds an S3 client: closed, not left to the finalizer. */
    private static void close(Catalog catalog) {
        if (catalog instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException ignored) {
                // nothing was written; a failed close leaves nothing behind
            }
        }
    }

    private CheckResult fail(String explanation, Exception e) {
        String action = IcebergCatalogs.deniedAction(e).orElse("");
        boolean glue = action.startsWith("glue:");
        List<CheckResult.Fix> fixes = glue ? List.of(new CheckResult.Fix("IAM policy of the role lakehose runs as",
                Policies.glueCatalog(settings.namespace()))) : List.of();
        return CheckResult.fail(NAME, new CheckResult.Failure(action, glue ? "Glue database " + settings.namespace() : "",
                action.isEmpty() ? e.getClass().getSimpleName() : "AccessDenied", "", explanation, fixes));
    }
}
