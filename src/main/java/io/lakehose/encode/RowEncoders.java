package io.lakehose.encode;

import org.apache.avro.Schema;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The row encoder of every table: a {@link TypedRowEncoder} for each table with a configured
 * typed schema, the {@link EnvelopeRowEncoder} for every other table.
 *
 * <p>Every schema file is read and validated in {@link #load}, at start: a bad file stops the
 * service before it reads a record, with all problems of all files in one exception, rather
 * than surfacing on the first record of that table hours later.
 *
 * <p>Immutable and thread-safe: the map is built once, and both encoders keep no per-record
 * state, so shards on any thread share the same encoder instances (no per-thread factory is
 * needed).
 */
public final class RowEncoders {

    private static final RowEncoder ENVELOPE = new EnvelopeRowEncoder();
    private static final RowEncoders ENVELOPE_ONLY = new RowEncoders(Map.of());

    private final Map<String, RowEncoder> typed;

    private RowEncoders(Map<String, RowEncoder> typed) {
        this.typed = Map.copyOf(typed);
    }

    /**
     * Loads the typed schemas.
     *
     * @param tableSchemaFiles DynamoDB table name (exact, case-sensitive as in {@code tableName})
     *                         to its Avro schema file; tables not listed use the envelope
     * @param drift            told about every attribute that did not fit a typed schema
     * @throws SchemaConfigException listing every unusable file, each naming table and file
     */
    public static RowEncoders load(Map<String, Path> tableSchemaFiles, DriftListener drift)
            throws SchemaConfigException {
        Objects.requireNonNull(tableSchemaFiles, "tableSchemaFiles");
        Objects.requireNonNull(drift, "drift");
        List<String> problems = new ArrayList<>();
        Map<String, RowEncoder> encoders = new HashMap<>();
        // Sorted so that the problem list reads the same on every start.
        for (Map.Entry<String, Path> e : new TreeMap<>(tableSchemaFiles).entrySet()) {
            String table = e.getKey();
            Path file = e.getValue();
            if (table.isBlank()) {
                problems.add(SchemaConfigException.problem(table, file, "the table name is blank"));
                continue;
            }
            if (file == null) {
                problems.add("table '" + table + "': no schema file given");
                continue;
            }
            try {
                encoders.put(table, new TypedRowEncoder(TypedSchema.load(table, file), drift));
            } catch (SchemaConfigException ex) {
                problems.addAll(ex.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new SchemaConfigException(problems);
        }
        return new RowEncoders(encoders);
    }

    /** Every table gets the envelope schema. */
    public static RowEncoders envelopeOnly() {
        return ENVELOPE_ONLY;
    }

    /** The encoder for {@code tableName}: typed if a schema is configured, else the envelope. */
    public RowEncoder forTable(String tableName) {
        return typed.getOrDefault(tableName, ENVELOPE);
    }

    /** The row schema of {@code tableName}'s Parquet files. */
    public Schema schemaFor(String tableName) {
        return forTable(tableName).schema();
    }

    /** Tables with a typed schema. */
    public Set<String> typedTables() {
        return typed.keySet();
    }
}
