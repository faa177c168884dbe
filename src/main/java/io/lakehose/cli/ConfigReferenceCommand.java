package io.lakehose.cli;

import io.lakehose.config.BufferConfig;
import io.lakehose.config.ConfigKey;
import io.lakehose.config.ConfigKeys;
import picocli.CommandLine.Command;

/** Prints every configuration key with default, environment variable and meaning (Markdown). */
@Command(name = "config-reference", description = "Print the configuration reference (Markdown table).")
final class ConfigReferenceCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("| key | default | environment variable | meaning |");
        System.out.println("|---|---|---|---|");
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            String def = k.def() == null ? "(required)" : k.def().isEmpty() ? "(empty)" : "`" + k.def() + "`";
            if (k == BufferConfig.SPOOL_DIR) {
                def = "`$TMPDIR/lakehose-spool-$USER`";
            }
            System.out.println("| `" + k.path() + "` | " + def + " | `" + k.envName() + "` | " + k.doc() + " |");
        }
        System.out.println("| `" + ConfigKeys.ICEBERG_CATALOG_SECTION + ".<property>` | (none) | `"
                + ConfigKeys.ICEBERG_CATALOG_ENV + "=key=value,...` | Iceberg catalog properties, passed to Iceberg's "
                + "CatalogUtil unchanged (`type`: `jdbc`, `glue`, `rest`; `uri`, `warehouse`, `io-impl`, `s3.*`...). "
                + "lakehose adds, where not set: S3FileIO for an s3:// warehouse, `http-client.type=urlconnection`, "
                + "SSE-KMS with `s3.kmsKeyId`, and the `s3.*` endpoint, path style and region. Required when "
                + "`lake.format` is `iceberg` or `both`. |");
        System.out.println("| `" + ConfigKeys.ICEBERG_TABLE_NAMES_SECTION + ".<table>` | (the rule) | `"
                + ConfigKeys.ICEBERG_TABLE_NAMES_ENV + "=table=name,...` | The change-log table's name in the catalog "
                + "for that DynamoDB table, where the rule (lowercase, other characters to `_`, then `_changes`) is not "
                + "wanted or two tables would map to one name; lowercase letters, digits and `_`. |");
        System.out.println("| `" + ConfigKeys.ICEBERG_ORDER_ATTRIBUTES_SECTION + ".<table>` | (none) | `"
                + ConfigKeys.ICEBERG_ORDER_ATTRIBUTES_ENV + "=table=attribute,...` | The item attribute (a version "
                + "counter or an update timestamp the application writes) that orders that table's changes in its "
                + "current-state table before the event time; a REMOVE carries its old image's value. |");
        System.out.println("| `tables.<table>.schema` | (none) | `" + ConfigKeys.TABLE_SCHEMA_ENV
                + "=table=path,...` | Avro schema file (.avsc) with typed columns for that table's NewImage "
                + "attributes; tables without one use the envelope schema. |");
    }
}
