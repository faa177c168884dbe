package io.lakehose.pipeline;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.encode.ParquetRows;
import io.lakehose.pipeline.ConvertEndToEndTest.Input;
import io.lakehose.pipeline.ConvertEndToEndTest.Row;
import io.lakehose.testing.CommandRun;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert --format iceberg} into a directory (docs/design.md, "Tables (Apache Iceberg)"): a
 * self-contained warehouse that a stock Iceberg reader opens from {@code catalog.properties}
 * (with Hadoop's FileIO, as engines do), one change-log table per DynamoDB table holding every
 * good record once with exactly the values the folder layout holds, the error output as files,
 * and a second run that adds nothing. Read back by Iceberg's generic reader.
 */
class ConvertIcebergTest {

    /** The mixed input every test converts, and what it must produce. */
    private static final Input input = Input.mixed();

    /** Where the input's file is written, once for the class ({@link Input#file}). */
    @TempDir
    static Path shared;

    @Test
    void everyGoodRecordIsOneRowOfItsTablesChangeLogReadableByAStockReader(@TempDir Path out) throws Exception {
        CommandRun run = convert(out);
        assertThat(run.exit).as(run.err).isZero();

        Properties props = readerProperties(out);
        assertThat(props.stringPropertyNames()).doesNotContain("io-impl");
        assertThat(props.values()).noneMatch(v -> v.toString().contains("io.lakehose"));
        assertThat(props.getProperty("warehouse")).startsWith("file:/");
        assertThat(props.getProperty("uri")).isEqualTo("jdbc:sqlite:" + out.toAbsolutePath().resolve("catalog.db"));

        Catalog catalog = stockReader(props);
        Set<String> tables = new TreeSet<>();
        input.goods.values().forEach(r -> tables.add(ChangeLogTables.catalogName(r.table())));
        assertThat(tables).hasSizeGreaterThan(1);
        Map<Long, Record> bySequence = new HashMap<>();
        for (String name : tables) {
            for (Record r : rows(catalog, name)) {
                long line = Long.parseLong((String) r.getField("sequence_number"));
                assertThat(bySequence.put(line, r)).as("line %d in the tables once", line).isNull();
                assertThat(ChangeLogTables.catalogName((String) r.getField("table_name"))).isEqualTo(name);
            }
        }
        assertThat(bySequence.keySet()).containsExactlyInAnyOrderElementsOf(input.goods.keySet());
        for (Map.Entry<Long, Record> e : bySequence.entrySet()) {
            assertRow(e.getValue(), input.goods.get(e.getKey()), ConvertEndToEndTest.shardOf(input.file(shared)),
                    "line " + e.getKey());
        }
        ConvertEndToEndTest.assertErrorOutput(out, input, ConvertEndToEndTest.shardOf(input.file(shared)),
                ConvertEndToEndTest.lastModifiedMicros(input.file(shared)));
        assertThat(parquetFilesUnder(out.resolve("warehouse"))).as("data files are Parquet under the warehouse").isNotEmpty();
    }

    @Test
    void convertingAgainAddsNothing(@TempDir Path out) throws Exception {
        assertThat(convert(out).exit).isZero();
        Catalog catalog = stockReader(readerProperties(out));
        String orders = ChangeLogTables.catalogName("orders");
        List<String> files = dataFiles(table(catalog, orders));
        int rows = rows(catalog, orders).size();

        CommandRun again = convert(out);

        assertThat(again.exit).as(again.err).isZero();
        assertThat(ConvertEndToEndTest.summaryCounts(again.out)).as(again.out).containsEntry("rows", 0L);
        assertThat(rows(catalog, orders)).hasSize(rows);
        assertThat(dataFiles(table(catalog, orders))).isEqualTo(files);
    }

    static List<String> dataFiles(Table table) throws Exception {
        List<String> paths = new ArrayList<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            tasks.forEach(t -> paths.add(t.file().location()));
        }
        return paths.stream().sorted().toList();
    }

    @Test
    void anExistingTableThatCannotTakeTheEnvelopeStopsTheRunBeforeAnyRecordNamingIt(@TempDir Path out) throws Exception {
        Catalog catalog = CatalogUtil.buildIcebergCatalog("lakehose", LocalWarehouse.writerProperties(out), null);
        ((SupportsNamespaces) catalog).createNamespace(Namespace.of("lakehose"));
        catalog.createTable(TableIdentifier.of("lakehose", "orders_changes"), new Schema(
                Types.NestedField.required(1, "event_id", Types.StringType.get()),
                Types.NestedField.required(2, "event_time", Types.StringType.get()),
                Types.NestedField.required(3, "tenant", Types.StringType.get())));

        CommandRun run = convert(out);

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.err).contains("iceberg.namespace", "lakehose.orders_changes",
                "column event_time is string, not timestamptz", "column tenant is required and no change record has it");
        assertThat(out.resolve("errors")).doesNotExist();
    }

    /**
     * A table with a typed schema (tables.*): its change-log table gains the typed columns (added
     * to the envelope's, optional), and a stock reader gets every typed value back, nested ones
     * included; an attribute of another type is kept in drift_attributes.
     */
    @Test
    void aTypedSchemaAddsItsColumnsToTheTable(@TempDir Path out, @TempDir Path inputs) throws Exception {
        String item = "{\"id\":{\"S\":\"864700\"},\"name\":{\"S\":\"Adam\"},\"employee_number\":{\"N\":\"42\"},"
                + "\"rating\":{\"N\":\"4.5\"},\"salary\":{\"N\":\"1234567.25\"},\"active\":{\"BOOL\":true},"
                + "\"skills\":{\"SS\":[\"go\",\"sql\"]},\"address\":{\"M\":{\"street\":{\"S\":\"Main 1\"},"
                + "\"city\":{\"S\":\"Oslo\"},\"zip\":{\"S\":\"0150\"}}},\"labels\":{\"M\":{\"team\":{\"S\":\"core\"}}},"
                + "\"Designation\":{\"N\":\"7\"}}";
        String line = "{\"awsRegion\":\"us-east-1\",\"eventID\":\"ev-typed\",\"eventName\":\"INSERT\","
                + "\"tableName\":\"example-ddb-table\",\"dynamodb\":{\"ApproximateCreationDateTime\":1732525080123,"
                + "\"ApproximateCreationDateTimePrecision\":\"MILLISECOND\",\"Keys\":{\"id\":{\"S\":\"864700\"}},"
                + "\"NewImage\":" + item + ",\"SizeBytes\":99},\"eventSource\":\"aws:dynamodb\"}\n";
        Path input = Files.writeString(inputs.resolve("typed.jsonl"), line);
        Path cfg = Files.writeString(inputs.resolve("typed.yaml"), "tables:\n  example-ddb-table:\n"
                + "    schema: " + Path.of("config/schemas/example-ddb-table.avsc").toAbsolutePath() + "\n");

        CommandRun run = CommandRun.of("convert", "--input", input.toString(), "--output", out.toString(),
                "--format", "iceberg", "--config", cfg.toString());

        assertThat(run.exit).as(run.err).isZero();
        Catalog catalog = stockReader(readerProperties(out));
        Table table = table(catalog, "example_ddb_table_changes");
        assertThat(table.schema().findField("event_time").type()).isEqualTo(Types.TimestampType.withZone());
        assertThat(table.schema().findField("salary").type()).isEqualTo(Types.DecimalType.of(38, 2));
        List<Record> rows = rows(catalog, "example_ddb_table_changes");
        assertThat(rows).hasSize(1);
        Record r = rows.get(0);
        assertThat(r.getField("name")).isEqualTo("Adam");
        assertThat(r.getField("employee_number")).isEqualTo(42L);
        assertThat(r.getField("rating")).isEqualTo(4.5);
        assertThat(r.getField("salary")).isEqualTo(new BigDecimal("1234567.25"));
        assertThat(r.getField("active")).isEqualTo(true);
        assertThat(r.getField("skills")).isEqualTo(List.of("go", "sql"));
        assertThat(((Record) r.getField("address")).getField("city")).isEqualTo("Oslo");
        assertThat(r.getField("labels")).isEqualTo(Map.of("team", "core"));
        assertThat((String) r.getField("drift_attributes")).contains("Designation");
        assertThat(r.getField("event_id")).isEqualTo("ev-typed");
        // The file carries the table's ids (typed columns come after the envelope's in the table,
        // not in the file, so a reader by position would mix them up), and reading by name agrees.
        for (FileScanTask task : table.newScan().planFiles()) {
            MessageType written = ParquetRows.schema(Path.of(URI.create(task.file().location())));
            for (String column : List.of("salary", "event_time", "address", "drift_attributes")) {
                assertThat(written.getType(column).getId().intValue()).as(column)
                        .isEqualTo(table.schema().findField(column).fieldId());
            }
        }
        assertThat(rowsByNameMapping(table)).hasSize(1).allSatisfy(byName -> {
            assertThat(byName.getField("salary")).isEqualTo(r.getField("salary"));
            assertThat(byName.getField("address")).isEqualTo(r.getField("address"));
            assertThat(byName.getField("event_time")).isEqualTo(r.getField("event_time"));
        });
    }

    /**
     * The rows as a reader that maps columns by name reads them: the data files of the current
     * snapshot through Iceberg's Parquet reader with the table's name mapping (files written before
     * lakehose wrote field ids are read this way by engines).
     */
    private static List<Record> rowsByNameMapping(Table table) throws Exception {
        NameMapping mapping = NameMappingParser.fromJson(table.properties().get(TableProperties.DEFAULT_NAME_MAPPING));
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                try (CloseableIterable<Record> rows = Parquet.read(table.io().newInputFile(task.file().location()))
                        .project(table.schema()).withNameMapping(mapping)
                        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(table.schema(), fileSchema))
                        .build()) {
                    rows.forEach(r -> out.add(r.copy()));
                }
            }
        }
        return out;
    }

    private static void assertRow(Record r, Row e, String shard, String where) throws Exception {
        assertThat(r.getField("event_id")).as(where).isEqualTo(e.eventId());
        assertThat(r.getField("event_name")).as(where).isEqualTo(e.eventName());
        assertThat(r.getField("table_name")).as(where).isEqualTo(e.table());
        assertThat(r.getField("aws_region")).as(where).isEqualTo(e.region());
        assertThat(micros(r.getField("event_time"))).as(where).isEqualTo(e.eventMicros());
        assertThat(r.getField("user_identity")).as(where).isEqualTo(e.userIdentity());
        if (e.compareImagesAsJson()) {
            ConvertEndToEndTest.assertSameJson((String) r.getField("keys"), e.keys(), where);
            ConvertEndToEndTest.assertSameJson((String) r.getField("new_image"), e.newImage(), where);
            ConvertEndToEndTest.assertSameJson((String) r.getField("old_image"), e.oldImage(), where);
        } else {
            assertThat(r.getField("keys")).as(where).isEqualTo(e.keys());
            assertThat(r.getField("new_image")).as(where).isEqualTo(e.newImage());
            assertThat(r.getField("old_image")).as(where).isEqualTo(e.oldImage());
        }
        assertThat(r.getField("size_bytes")).as(where).isEqualTo(e.sizeBytes());
        assertThat(r.getField("shard_id")).as(where).isEqualTo(shard);
        assertThat(r.getField("sub_sequence_number")).as(where).isEqualTo(0L);
        assertThat(micros(r.getField("arrival_time"))).as(where + ": arrival_time is the event time")
                .isEqualTo(e.eventMicros());
    }

    private static long micros(Object timestamptz) {
        return ChronoUnit.MICROS.between(OffsetDateTime.parse("1970-01-01T00:00Z"), (OffsetDateTime) timestamptz);
    }

    static Properties readerProperties(Path out) throws Exception {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(out.resolve(LocalWarehouse.READER_PROPERTIES))) {
            props.load(r);
        }
        return props;
    }

    /** What an engine does with the file: Iceberg's CatalogUtil, Hadoop's FileIO, no lakehose class. */
    static Catalog stockReader(Properties props) {
        Map<String, String> map = new HashMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
        return CatalogUtil.buildIcebergCatalog("lakehose", map, new Configuration());
    }

    static Table table(Catalog catalog, String name) {
        return catalog.loadTable(TableIdentifier.of(Namespace.of("lakehose"), name));
    }

    /** The rows through Iceberg's generic reader, which finds columns by the files' field ids. */
    static List<Record> rows(Catalog catalog, String name) throws Exception {
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table(catalog, name)).build()) {
            rows.forEach(r -> out.add(r.copy()));
        }
        return out;
    }

    private static List<Path> parquetFilesUnder(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".parquet")).toList();
        }
    }

    private static CommandRun convert(Path out) {
        return CommandRun.of("convert", "--input", input.file(shared).toString(), "--output",
                out.toString(), "--format", "iceberg", "--threads", "2");
    }
}
