package io.lakehose.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * The yardstick for {@code convert}: DuckDB (through its JDBC driver, in this JVM) reading the same
 * JSON lines and writing one zstd Parquet file, {@code java -cp bench/target/lakehose-bench.jar
 * io.lakehose.bench.DuckDbConvert IN.jsonl OUT.parquet}. DuckDB infers the columns from the JSON; it
 * does not decode DynamoDB's typed images nor partition, so it does less work than convert.
 */
public final class DuckDbConvert {

    private DuckDbConvert() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: DuckDbConvert IN.jsonl OUT.parquet");
            System.exit(2);
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             Statement s = c.createStatement()) {
            s.execute("COPY (SELECT * FROM read_json('" + sql(args[0]) + "', format = 'newline_delimited')) TO '"
                    + sql(args[1]) + "' (FORMAT parquet, COMPRESSION zstd)");
        }
    }

    private static String sql(String path) {
        return path.replace("'", "''");
    }
}
