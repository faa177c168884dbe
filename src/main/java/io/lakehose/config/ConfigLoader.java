package io.lakehose.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lakehose.aws.AssumedRole;
import io.lakehose.buffer.BufferLimits;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.decode.EventTimeBounds;
import io.lakehose.encode.Compression;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.partition.LakeLayout;
import io.lakehose.sink.S3Settings;
import io.lakehose.sink.KmsKeyId;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the YAML file, applies environment overrides (LAKEHOSE_SECTION_KEY_NAME for every key;
 * LAKEHOSE_TABLE_SCHEMAS=table=path,... for typed schemas), validates every key and reports all
 * problems at once, each naming its key (and the variable, when a variable set it).
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigLoader() {
    }

    /**
     * @param file      the YAML file, or null for defaults only
     * @param env       environment (System.getenv() in production)
     * @param overrides values that win over file and environment (command-line options), by key path
     */
    public static LakehoseConfig load(Path file, Map<String, String> env, Map<String, String> overrides)
            throws ConfigException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> source = new LinkedHashMap<>();
        Map<String, Path> tableSchemas = new LinkedHashMap<>();
        Map<String, String> catalog = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Path baseDir = Path.of("");
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("config file " + file + " does not exist or is not a file");
            }
            baseDir = file.toAbsolutePath().getParent();
            JsonNode root;
            try {
                root = YAML.readTree(file.toFile());
            } catch (IOException e) {
                throw new ConfigException("config file " + file + " is not valid YAML: " + firstLine(e.getMessage()));
            }
            if (root != null && !root.isMissingNode() && !root.isNull()) {
                if (!root.isObject()) {
                    throw new ConfigException("config file " + file + " must be a YAML mapping of sections");
                }
                flatten(root, "", values, new Sections(tableSchemas, catalog), problems, file);
                values.keySet().forEach(k -> source.put(k, file.toString()));
            }
        }
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String v = env.get(key.envName());
            if (v != null) {
                values.put(key.path(), v);
                source.put(key.path(), "environment variable " + key.envName());
            }
        }
        String envSchemas = env.get(ConfigKeys.TABLE_SCHEMA_ENV);
        if (envSchemas != null && !envSchemas.isBlank()) {
            for (String pair : envSchemas.split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                    problems.add(ConfigKeys.TABLE_SCHEMA_ENV + ": '" + pair + "' is not table=path/to/schema.avsc");
                } else {
                    tableSchemas.put(kv[0].trim(), Path.of(kv[1].trim()));
                }
            }
        }
        String envCatalog = env.get(ConfigKeys.ICEBERG_CATALOG_ENV);
        if (envCatalog != null && !envCatalog.isBlank()) {
            for (String pair : envCatalog.split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv.length != 2 || kv[0].isBlank()) {
                    problems.add(ConfigKeys.ICEBERG_CATALOG_ENV + ": '" + pair + "' is not key=value");
                } else {
                    catalog.put(kv[0].trim(), kv[1].trim());
                }
            }
        }
        overrides.forEach((k, v) -> {
            if (k.startsWith(ConfigKeys.ICEBERG_CATALOG_SECTION + ".")) {
                catalog.put(k.substring(ConfigKeys.ICEBERG_CATALOG_SECTION.length() + 1), v);
                return;
            }
            values.put(k, v);
            source.put(k, "command line");
        });

        Map<ConfigKey<?>, Object> parsed = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String raw = values.getOrDefault(key.path(), key.def());
            if (raw == null) {
                problems.add(key.path() + " is required (" + key.doc() + " Environment: " + key.envName() + ")");
                continue;
            }
            try {
                parsed.put(key, key.parse().apply(raw));
            } catch (IllegalArgumentException e) {
                String from = source.containsKey(key.path()) ? " (from " + source.get(key.path()) + ")" : "";
                problems.add(key.path() + ": " + e.getMessage() + from);
            }
        }
        Map<String, Path> resolvedSchemas = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : tableSchemas.entrySet()) {
            Path p = e.getValue().isAbsolute() ? e.getValue() : resolveRelative(baseDir, e.getValue());
            if (!Files.isReadable(p)) {
                problems.add("tables." + e.getKey() + ".schema: file " + p + " does not exist or is not readable");
            }
            resolvedSchemas.put(e.getKey(), p);
        }
        if (parsed.get(ConfigKeys.LAKE_FORMAT) == ConfigKeys.LakeFormat.ICEBERG
                && !catalog.containsKey("type") && !catalog.containsKey("catalog-impl")) {
            problems.add(ConfigKeys.ICEBERG_CATALOG_SECTION + ".type: lake.format is iceberg but no catalog is configured "
                    + "(iceberg.catalog: {type: glue|rest|jdbc, warehouse: ..., ...}; environment "
                    + ConfigKeys.ICEBERG_CATALOG_ENV + "=type=jdbc,uri=...)");
        }
        if (problems.isEmpty()) {
            long part = get(parsed, ConfigKeys.S3_PART_SIZE);
            long threshold = get(parsed, ConfigKeys.S3_MULTIPART_THRESHOLD);
            if (threshold < part) {
                problems.add("s3.multipartThresholdBytes (" + threshold + ") must be at least s3.partSizeBytes (" + part + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return build(parsed, resolvedSchemas, catalog);
    }

    /** The free-form sections of the file: typed schemas per table, and Iceberg catalog properties. */
    private record Sections(Map<String, Path> schemas, Map<String, String> catalog) {
    }

    private static Path resolveRelative(Path baseDir, Path p) {
        // Relative schema paths are tried against the working directory first, then the config's folder.
        return Files.exists(p) ? p.toAbsolutePath() : baseDir.resolve(p);
    }

    private static LakehoseConfig build(Map<ConfigKey<?>, Object> v, Map<String, Path> schemas,
                                        Map<String, String> catalog) {
        LakehoseConfig.LakeTarget target = LakehoseConfig.LakeTarget.parse(get(v, ConfigKeys.LAKE_URI));
        LakeLayout layout = new LakeLayout(target.prefix(), get(v, ConfigKeys.LAKE_PATH_TEMPLATE),
                get(v, ConfigKeys.LAKE_ERROR_PREFIX), get(v, ConfigKeys.LAKE_TABLE));
        String endpoint = get(v, ConfigKeys.S3_ENDPOINT);
        String kms = get(v, ConfigKeys.S3_KMS_KEY_ID);
        BufferLimits limits = new BufferLimits(get(v, ConfigKeys.BUFFER_MAX_BYTES), get(v, ConfigKeys.BUFFER_MAX_RECORDS),
                (long) get(v, ConfigKeys.BUFFER_MAX_AGE_SECONDS) * 1_000_000L);
        ParquetSettings parquet = new ParquetSettings((Compression) get(v, ConfigKeys.PARQUET_COMPRESSION),
                get(v, ConfigKeys.PARQUET_ZSTD_LEVEL), get(v, ConfigKeys.PARQUET_ROW_GROUP),
                (int) (long) get(v, ConfigKeys.PARQUET_PAGE));
        return new LakehoseConfig(target, layout, get(v, ConfigKeys.LAKE_ERROR_GZIP),
                get(v, ConfigKeys.S3_REGION),
                endpoint.isBlank() ? Optional.empty() : Optional.of(URI.create(endpoint.trim())),
                get(v, ConfigKeys.S3_PATH_STYLE),
                kms.isBlank() ? Optional.empty() : Optional.of(new KmsKeyId(kms.trim())),
                get(v, ConfigKeys.S3_MULTIPART_THRESHOLD), get(v, ConfigKeys.S3_PART_SIZE),
                get(v, ConfigKeys.S3_MAX_ATTEMPTS),
                new S3Settings.Timeouts(Duration.ofSeconds(get(v, ConfigKeys.S3_ATTEMPT_TIMEOUT)),
                        Duration.ofSeconds(get(v, ConfigKeys.S3_CALL_TIMEOUT))),
                get(v, ConfigKeys.S3_CHECKSUM_WHEN_REQUIRED),
                limits, get(v, ConfigKeys.BUFFER_MEMORY_CAP), get(v, ConfigKeys.BUFFER_UPLOAD_IN_FLIGHT),
                Path.of((String) get(v, ConfigKeys.BUFFER_SPOOL_DIR)), parquet, Map.copyOf(schemas), kinesis(v),
                get(v, ConfigKeys.HTTP_PORT), Duration.ofSeconds(get(v, ConfigKeys.HTTP_UPLOAD_STUCK_SECONDS)),
                role(get(v, ConfigKeys.S3_ROLE_ARN), get(v, ConfigKeys.S3_ROLE_EXTERNAL_ID), get(v, ConfigKeys.S3_REGION),
                        uri(get(v, ConfigKeys.STS_ENDPOINT))),
                uri(get(v, ConfigKeys.STS_ENDPOINT)), backfill(v), uri(get(v, ConfigKeys.KMS_ENDPOINT)),
                get(v, ConfigKeys.LAKE_FORMAT),
                new IcebergSettings(get(v, ConfigKeys.ICEBERG_CATALOG_NAME), catalog, get(v, ConfigKeys.ICEBERG_NAMESPACE),
                        Duration.ofSeconds(get(v, ConfigKeys.ICEBERG_COMMIT_SECONDS)),
                        get(v, ConfigKeys.ICEBERG_PARTITION_BY), Map.of()),
                new EventTimeBounds(ChronoUnit.MICROS.between(Instant.EPOCH,
                        get(v, ConfigKeys.INPUT_EARLIEST_EVENT_TIME)), get(v, ConfigKeys.INPUT_MAX_AHEAD_SECONDS) * 1_000_000L));
    }

    private static LakehoseConfig.BackfillSource backfill(Map<ConfigKey<?>, Object> v) {
        String region = get(v, ConfigKeys.BACKFILL_REGION);
        String kinesisRegion = get(v, ConfigKeys.KINESIS_REGION);
        String resolved = !region.isBlank() ? region : !kinesisRegion.isBlank() ? kinesisRegion
                : get(v, ConfigKeys.S3_REGION);
        return new LakehoseConfig.BackfillSource(resolved, uri(get(v, ConfigKeys.BACKFILL_ENDPOINT)),
                role(get(v, ConfigKeys.BACKFILL_ROLE_ARN), get(v, ConfigKeys.BACKFILL_ROLE_EXTERNAL_ID), resolved,
                        uri(get(v, ConfigKeys.STS_ENDPOINT))),
                get(v, ConfigKeys.BACKFILL_MAX_ATTEMPTS));
    }

    private static Optional<AssumedRole> role(String arn, String externalId, String region,
                                                             Optional<URI> stsEndpoint) {
        if (arn.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new AssumedRole(arn, externalId.isBlank() ? Optional.empty()
                : Optional.of(externalId.trim()), region, stsEndpoint));
    }

    private static LakehoseConfig.KinesisSettings kinesis(Map<ConfigKey<?>, Object> v) {
        String region = get(v, ConfigKeys.KINESIS_REGION);
        return new LakehoseConfig.KinesisSettings(
                get(v, ConfigKeys.KINESIS_STREAM),
                region.isBlank() ? get(v, ConfigKeys.S3_REGION) : region,
                uri(get(v, ConfigKeys.KINESIS_ENDPOINT)),
                uri(get(v, ConfigKeys.DYNAMODB_ENDPOINT)),
                get(v, ConfigKeys.KINESIS_APPLICATION),
                get(v, ConfigKeys.KINESIS_INITIAL_POSITION),
                get(v, ConfigKeys.KINESIS_RETRIEVAL),
                get(v, ConfigKeys.KINESIS_MAX_RECORDS),
                get(v, ConfigKeys.KINESIS_IDLE_MILLIS),
                get(v, ConfigKeys.KINESIS_FAILOVER_MILLIS),
                get(v, ConfigKeys.KINESIS_SHARD_SYNC_MILLIS),
                Duration.ofSeconds(get(v, ConfigKeys.KINESIS_CHECKPOINT_SECONDS)),
                Duration.ofSeconds(get(v, ConfigKeys.SHUTDOWN_BUDGET_SECONDS)),
                get(v, ConfigKeys.KINESIS_CLOUDWATCH));
    }

    private static Optional<URI> uri(String s) {
        return s.isBlank() ? Optional.empty() : Optional.of(URI.create(s.trim()));
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<ConfigKey<?>, Object> v, ConfigKey<T> key) {
        return (T) v.get(key);
    }

    private static void flatten(JsonNode node, String path, Map<String, String> out, Sections sections,
                                List<String> problems, Path file) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            JsonNode value = e.getValue();
            if (p.equals(ConfigKeys.TABLES_SECTION)) {
                tables(value, sections.schemas(), problems);
            } else if (p.equals(ConfigKeys.ICEBERG_CATALOG_SECTION)) {
                catalog(value, sections.catalog(), problems);
            } else if (value.isObject()) {
                flatten(value, p, out, sections, problems, file);
            } else if (ConfigKeys.BY_PATH.containsKey(p)) {
                if (value.isContainerNode()) {
                    problems.add(p + ": must be a single value, not a list");
                } else if (!value.isNull()) {
                    out.put(p, value.asText());
                }
            } else {
                problems.add(p + ": unknown key in " + file + " (known keys: see config/lakehose.example.yaml)");
            }
        }
    }

    private static void catalog(JsonNode catalog, Map<String, String> properties, List<String> problems) {
        if (catalog.isNull()) {
            return;
        }
        if (!catalog.isObject()) {
            problems.add(ConfigKeys.ICEBERG_CATALOG_SECTION + ": must map Iceberg catalog properties to values");
            return;
        }
        catalog.fields().forEachRemaining(e -> {
            if (e.getValue().isContainerNode()) {
                problems.add(ConfigKeys.ICEBERG_CATALOG_SECTION + "." + e.getKey() + ": must be a single value");
            } else if (!e.getValue().isNull()) {
                properties.put(e.getKey(), e.getValue().asText());
            }
        });
    }

    private static void tables(JsonNode tables, Map<String, Path> schemas, List<String> problems) {
        if (tables.isNull()) {
            return;
        }
        if (!tables.isObject()) {
            problems.add("tables: must map table names to {schema: path}");
            return;
        }
        tables.fields().forEachRemaining(t -> {
            JsonNode schema = t.getValue().get("schema");
            if (!t.getValue().isObject() || schema == null || !schema.isTextual() || t.getValue().size() != 1) {
                problems.add("tables." + t.getKey() + ": must be {schema: path/to/schema.avsc}");
            } else {
                schemas.put(t.getKey(), Path.of(schema.asText()));
            }
        });
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
