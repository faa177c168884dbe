package io.lakehose.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An independent reader of the lake for tests: an in-memory DuckDB (the {@code duckdb_jdbc} test
 * dependency) that reads the Parquet files lakehose wrote, the way Athena or Spark would find them
 * (hive-style partition directories, footers as written). Nothing here uses lakehose's own code.
 *
 * <pre>{@code
 * try (DuckDbLake duck = DuckDbLake.open()) {
 *     // every row of a local lake, with the partition columns table, dt, hour from the path (as strings)
 *     List<Map<String, Object>> rows = duck.query(
 *             "SELECT \"table\", dt, hour, event_id, epoch_us(event_time) AS event_us FROM " + DuckDbLake.lake(dir));
 *     // or name it once
 *     duck.createLakeView("lake", dir);
 *     long n = (Long) duck.query("SELECT count(*) AS n FROM lake").get(0).get("n");
 *     // footers
 *     for (Path f : DuckDbLake.parquetFiles(dir)) {
 *         duck.compressions(f);               // e.g. {"ZSTD"}: the codec of every column chunk
 *         duck.schema(f).get("event_time");   // type=INT64, converted_type=TIMESTAMP_MICROS, logical_type=...
 *     }
 * }
 * }</pre>
 *
 * <p>What to know:
 * <ul>
 *   <li>Rows are {@code List<Map<String,Object>>}, one {@link LinkedHashMap} per row in the query's
 *       column order, keyed by the column label. Values are the JDBC objects DuckDB returns
 *       (String, Long, Integer, Boolean, BigDecimal, LocalDate, OffsetDateTime for
 *       {@code TIMESTAMP WITH TIME ZONE}...), except that BLOBs become {@code byte[]}.</li>
 *   <li>Parquet timestamps written with {@code isAdjustedToUTC=true} read as
 *       {@code TIMESTAMP WITH TIME ZONE}; select {@code epoch_us(col)} to compare exact microseconds
 *       without any session time zone in the way.</li>
 *   <li>{@link #lake(Path)} reads with {@code hive_types_autocast = false}, so the partition
 *       columns are the path's strings exactly ({@code hour} is {@code "07"}, not 7).
 *       {@code table} is an SQL keyword: quote it ({@code "table"}).</li>
 *   <li>Paths are embedded in SQL as string literals (quotes escaped); no other quoting is done,
 *       so pass only trusted SQL to {@link #query}.</li>
 *   <li>One connection per instance; not thread-safe. Close it (try-with-resources).</li>
 * </ul>
 */
public final class DuckDbLake implements AutoCloseable {

    private final Connection connection;

    private DuckDbLake(Connection connection) {
        this.connection = connection;
    }

    /** A fresh in-memory DuckDB. */
    public static DuckDbLake open() {
        try {
            return new DuckDbLake(DriverManager.getConnection("jdbc:duckdb:"));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open an in-memory DuckDB", e);
        }
    }

    /**
     * The table expression reading every {@code *.parquet} under {@code dir} (recursively) with
     * hive partitioning, partition values kept as strings:
     * {@code read_parquet('<dir>/**}{@code /*.parquet', hive_partitioning = true, hive_types_autocast = false)}.
     */
    public static String lake(Path dir) {
        return "read_parquet(" + literal(dir.toAbsolutePath() + "/**/*.parquet")
                + ", hive_partitioning = true, hive_types_autocast = false)";
    }

    /**
     * The table expression reading exactly {@code files} (an Iceberg table's data files, say), columns
     * matched by name: {@code read_parquet([<files>], union_by_name = true)}.
     */
    public static String files(List<Path> files) {
        return "read_parquet([" + files.stream().map(f -> literal(f.toAbsolutePath().toString()))
                .collect(Collectors.joining(", ")) + "], union_by_name = true)";
    }

    /** Creates (or replaces) a view {@code name} over {@link #lake(Path)}. */
    public void createLakeView(String name, Path dir) {
        execute("CREATE OR REPLACE VIEW " + name + " AS SELECT * FROM " + lake(dir));
    }

    /** Runs a statement that returns no rows. */
    public void execute(String sql) {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("DuckDB failed on: " + sql, e);
        }
    }

    /** Runs a query; {@code params} bind to its {@code ?} placeholders in order. */
    public List<Map<String, Object>> query(String sql, Object... params) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                return rows(r);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DuckDB failed on: " + sql, e);
        }
    }

    /** Every row of the lake under {@code dir}: all columns plus {@code table}, {@code dt}, {@code hour}. */
    public List<Map<String, Object>> lakeRows(Path dir) {
        return query("SELECT * FROM " + lake(dir));
    }

    /**
     * {@code parquet_metadata(file)}: one row per column chunk (row group x column), with among
     * others {@code row_group_id}, {@code path_in_schema}, {@code type}, {@code compression}
     * (ZSTD, SNAPPY, GZIP, UNCOMPRESSED...), {@code encodings}, {@code num_values}.
     */
    public List<Map<String, Object>> columnChunks(Path file) {
        return query("SELECT * FROM parquet_metadata(" + literal(file.toAbsolutePath().toString()) + ")");
    }

    /** The distinct codecs of all column chunks of {@code file} (a well-written file has exactly one). */
    public Set<String> compressions(Path file) {
        Set<String> codecs = new TreeSet<>();
        for (Map<String, Object> chunk : columnChunks(file)) {
            codecs.add(String.valueOf(chunk.get("compression")));
        }
        return codecs;
    }

    /**
     * {@code parquet_schema(file)} keyed by column name (the root, the message itself, is left out).
     * Each value has {@code type} (physical: INT64, BYTE_ARRAY...), {@code repetition_type},
     * {@code converted_type} (UTF8, TIMESTAMP_MICROS...), {@code logical_type} (e.g.
     * {@code TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))}
     * or {@code StringType()}) and {@code duckdb_type}.
     */
    public Map<String, Map<String, Object>> schema(Path file) {
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        List<Map<String, Object>> rows = query("SELECT * FROM parquet_schema(" + literal(file.toAbsolutePath().toString()) + ")");
        for (int i = 1; i < rows.size(); i++) { // row 0 is the schema root
            byName.put(String.valueOf(rows.get(i).get("name")), rows.get(i));
        }
        return byName;
    }

    /** Every {@code *.parquet} file under {@code dir}, sorted; hidden spool files are not included. */
    public static List<Path> parquetFiles(Path dir) {
        return files(dir, ".parquet");
    }

    /** Every regular file under {@code dir} whose name ends with {@code suffix}, sorted. */
    public static List<Path> files(Path dir, String suffix) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(suffix))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An SQL string literal. */
    public static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Map<String, Object>> rows(ResultSet r) throws SQLException {
        ResultSetMetaData m = r.getMetaData();
        List<Map<String, Object>> out = new ArrayList<>();
        while (r.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 1; i <= m.getColumnCount(); i++) {
                row.put(m.getColumnLabel(i), plain(r.getObject(i)));
            }
            out.add(row);
        }
        return out;
    }

    private static Object plain(Object v) throws SQLException {
        if (v instanceof Blob b) {
            return b.getBytes(1, (int) b.length());
        }
        if (v instanceof ByteBuffer bb) {
            byte[] bytes = new byte[bb.remaining()];
            bb.duplicate().get(bytes);
            return bytes;
        }
        return v;
    }
}
