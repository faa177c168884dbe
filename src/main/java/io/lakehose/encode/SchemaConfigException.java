package io.lakehose.encode;

import java.nio.file.Path;
import java.util.List;

/**
 * A configured typed schema cannot be used. Every problem names the table, the schema file and
 * what is wrong with it (unreadable file, invalid Avro JSON, not a record, unsupported field
 * type, a field clashing with a metadata column, ...).
 *
 * <p>Thrown at start, before any record is read, and carrying every problem found in every
 * configured file at once, so that one run of the service shows the whole list to fix.
 */
public final class SchemaConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** @param problems one line per problem, each already naming its table and file */
    public SchemaConfigException(List<String> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    /** One problem of one table's schema file. */
    public static SchemaConfigException of(String table, Path file, String what) {
        return new SchemaConfigException(List.of(problem(table, file, what)));
    }

    /** The line that names {@code table} and {@code file} before saying {@code what} is wrong. */
    public static String problem(String table, Path file, String what) {
        return "table '" + table + "', schema file '" + file + "': " + what;
    }

    /** Every problem, one line each. */
    public List<String> problems() {
        return problems;
    }

    private static String message(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a SchemaConfigException needs at least one problem");
        }
        if (problems.size() == 1) {
            return problems.get(0);
        }
        StringBuilder sb = new StringBuilder(problems.size() + " problems in typed schemas:");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
