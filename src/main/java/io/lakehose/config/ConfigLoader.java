package io.lakehose.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the YAML file, applies environment overrides (LAKEHOSE_SECTION_KEY_NAME for every key;
 * LAKEHOSE_TABLE_SCHEMAS=table=path,... for typed schemas), validates every key and reports all
 * problems at once, each naming its key (and the variable, when a variable set it).
 */
public final class ConfigLoader {

    /** Made on first use: a run without a file (convert's usual case) skips the YAML parser's start-up. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());
    }

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
        Map<String, Map<String, String>> maps = new LinkedHashMap<>();
        ConfigKeys.FREE_MAPS.keySet().forEach(section -> maps.put(section, new LinkedHashMap<>()));
        List<String> problems = new ArrayList<>();
        Path baseDir = Path.of("");
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("config file " + file + " does not exist or is not a file");
            }
            baseDir = file.toAbsolutePath().getParent();
            JsonNode root;
            try {
                root = Yaml.MAPPER.readTree(file.toFile());
            } catch (IOException e) {
                throw new ConfigException("config file " + file + " is not valid YAML: " + firstLine(e.getMessage()));
            }
            if (root != null && !root.isMissingNode() && !root.isNull()) {
                if (!root.isObject()) {
                    throw new ConfigException("config file " + file + " must be a YAML mapping of sections");
                }
                flatten(root, "", values, new Sections(tableSchemas, maps), problems, file);
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
        ConfigKeys.FREE_MAPS.forEach((section, variable) -> {
            String pairs = env.get(variable);
            if (pairs != null && !pairs.isBlank()) {
                for (String pair : pairs.split(",")) {
                    String[] kv = pair.split("=", 2);
                    if (kv.length != 2 || kv[0].isBlank()) {
                        problems.add(variable + ": '" + pair + "' is not key=value");
                    } else {
                        maps.get(section).put(kv[0].trim(), kv[1].trim());
                    }
                }
            }
        });
        overrides.forEach((k, v) -> {
            for (String section : ConfigKeys.FREE_MAPS.keySet()) {
                if (k.startsWith(section + ".")) {
                    maps.get(section).put(k.substring(section.length() + 1), v);
                    return;
                }
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
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        // Every key parsed: each section builds its record and checks its rules across keys.
        Values v = new Values(parsed, maps, resolvedSchemas, problems);
        LakehoseConfig config = new LakehoseConfig(LakeConfig.SECTION.build().apply(v),
                InputConfig.SECTION.build().apply(v), IcebergConfig.SECTION.build().apply(v),
                S3Config.SECTION.build().apply(v), BufferConfig.SECTION.build().apply(v),
                ParquetConfig.SECTION.build().apply(v), KinesisSettings.SECTION.build().apply(v),
                BackfillSource.SECTION.build().apply(v), HttpConfig.SECTION.build().apply(v),
                MaintainConfig.SECTION.build().apply(v), resolvedSchemas, CurrentStateConfig.SECTION.build().apply(v));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** The free-form sections of the file: typed schemas per table, and Iceberg catalog properties. */
    private record Sections(Map<String, Path> schemas, Map<String, Map<String, String>> maps) {
    }

    private static Path resolveRelative(Path baseDir, Path p) {
        // Relative schema paths are tried against the working directory first, then the config's folder.
        return Files.exists(p) ? p.toAbsolutePath() : baseDir.resolve(p);
    }

    private static void flatten(JsonNode node, String path, Map<String, String> out, Sections sections,
                                List<String> problems, Path file) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            JsonNode value = e.getValue();
            if (p.equals(ConfigKeys.TABLES_SECTION)) {
                tables(value, sections.schemas(), problems);
            } else if (ConfigKeys.FREE_MAPS.containsKey(p)) {
                freeMap(p, value, sections.maps().get(p), problems);
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

    private static void freeMap(String section, JsonNode map, Map<String, String> into, List<String> problems) {
        if (map.isNull()) {
            return;
        }
        if (!map.isObject()) {
            problems.add(section + ": must map names to values");
            return;
        }
        map.fields().forEachRemaining(e -> {
            if (e.getValue().isContainerNode()) {
                problems.add(section + "." + e.getKey() + ": must be a single value");
            } else if (!e.getValue().isNull()) {
                into.put(e.getKey(), e.getValue().asText());
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
