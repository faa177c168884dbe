package io.lakehose.config;

import io.lakehose.errorout.RawDataRule;
import io.lakehose.partition.LakeLayout;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.lakehose.config.Parsers.bool;
import static io.lakehose.config.Parsers.dynamoTableName;
import static io.lakehose.config.Parsers.oneOf;
import static io.lakehose.config.Parsers.string;

/**
 * Where the lake is and how it is laid out (the lake.* keys).
 *
 * @param format       which adapter of the commit port writes the data
 * @param errorRawData which error records keep the record itself
 */
public record LakeConfig(LakehoseConfig.LakeTarget target, LakeLayout layout, boolean errorGzip,
                         ConfigKeys.LakeFormat format, RawDataRule errorRawData) {

    public static final ConfigKey<String> URI = new ConfigKey<>("lake.uri", null, lakeUri(),
            "Where the lake goes: s3://bucket/optional/prefix, or a local directory (path or file:// URI).");
    public static final ConfigKey<String> PATH_TEMPLATE = new ConfigKey<>("lake.pathTemplate",
            LakeLayout.DEFAULT_TEMPLATE, template(),
            "Partition directories under the prefix. Placeholders: {table} (required), {date} (yyyy-MM-dd), "
                    + "{hour} (HH), {year}, {month}, {day}; all from the event time in UTC.");
    public static final ConfigKey<String> ERROR_PREFIX = new ConfigKey<>("lake.errorPrefix", "errors", string(),
            "Prefix (under the lake root, not under lake.uri's prefix) of the error output: "
                    + "<errorPrefix>/table=<table>/reason=<code>/dt=<date>/...jsonl");
    public static final ConfigKey<Boolean> ERROR_GZIP = new ConfigKey<>("lake.errorGzip", "false", bool(),
            "Gzip the error output (.jsonl.gz).");
    public static final ConfigKey<String> ERROR_OMIT_RAW_DATA = new ConfigKey<>("lake.errorOmitRawData", "",
            tableList(), "Comma-separated DynamoDB tables whose error records leave out raw_data (the record "
            + "itself, which holds item data); `*`: every error record. The reason, code and position stay. A record "
            + "whose own table cannot be read counts as lake.table's.");
    public static final ConfigKey<String> TABLE = new ConfigKey<>("lake.table", LakeLayout.DEFAULT_UNKNOWN_TABLE,
            dynamoTableName(), "The DynamoDB table this deployment's stream carries. A bad record whose own table name cannot be "
                    + "read (or is no valid table name) goes to this table's error output.");
    public static final ConfigKey<ConfigKeys.LakeFormat> FORMAT = new ConfigKey<>("lake.format", "folders",
            oneOf(ConfigKeys.LakeFormat.class),
            "folders: Hive-style Parquet objects under lake.uri; iceberg: change-log tables <iceberg.namespace>."
                    + "<table>_changes in the catalog of iceberg.catalog (error output stays files under lake.uri's bucket); "
                    + "both: folders and tables at once, each record once in each (a migration).");

    static final Section<LakeConfig> SECTION = new Section<>("lake",
            List.of(URI, PATH_TEMPLATE, ERROR_PREFIX, ERROR_GZIP, ERROR_OMIT_RAW_DATA, TABLE, FORMAT), v -> {
                LakehoseConfig.LakeTarget target = LakehoseConfig.LakeTarget.parse(v.get(URI));
                return new LakeConfig(target,
                        new LakeLayout(target.prefix(), v.get(PATH_TEMPLATE), v.get(ERROR_PREFIX), v.get(TABLE)),
                        v.get(ERROR_GZIP), v.get(FORMAT), rawDataRule(v.get(ERROR_OMIT_RAW_DATA), v.get(TABLE)));
            });

    private static RawDataRule rawDataRule(String list, String unknownTable) {
        Set<String> tables = Arrays.stream(list.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .collect(Collectors.toSet());
        boolean all = tables.remove(RawDataRule.ALL);
        return new RawDataRule(tables, all, unknownTable);
    }

    /** Comma-separated valid DynamoDB table names, or {@code *}. */
    private static Function<String, String> tableList() {
        return s -> {
            for (String t : s.split(",")) {
                String name = t.trim();
                if (!name.isEmpty() && !name.equals(RawDataRule.ALL)) {
                    dynamoTableName().apply(name);
                }
            }
            return s;
        };
    }

    private static Function<String, String> lakeUri() {
        return s -> {
            String t = s.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("is empty; give s3://bucket/prefix or a directory");
            }
            if (t.startsWith("s3://") && t.substring(5).split("/", 2)[0].isEmpty()) {
                throw new IllegalArgumentException("'" + s + "' has no bucket name");
            }
            if (t.contains("://") && !t.startsWith("s3://") && !t.startsWith("file://")) {
                throw new IllegalArgumentException("'" + s + "' is neither s3://bucket/prefix nor a local directory");
            }
            return t;
        };
    }

    private static Function<String, String> template() {
        return s -> {
            String problem = LakeLayout.validateTemplate(s);
            if (problem != null) {
                throw new IllegalArgumentException("'" + s + "' " + problem);
            }
            return s;
        };
    }
}
