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
                def = "`$TMPDIR/lakehose-spool`";
            }
            System.out.println("| `" + k.path() + "` | " + def + " | `" + k.envName() + "` | " + k.doc() + " |");
        }
        System.out.println("| `tables.<table>.schema` | (none) | `" + ConfigKeys.TABLE_SCHEMA_ENV
                + "=table=path,...` | Avro schema file (.avsc) with typed columns for that table's NewImage "
                + "attributes; tables without one use the envelope schema. |");
    }
}
