package io.lakehose.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed value of every key, as the sections' {@link Section#build} functions see them, plus
 * the free-form parts of the file (Iceberg catalog properties and table names, typed table schemas).
 */
public final class Values {

    private final Map<ConfigKey<?>, Object> parsed;
    private final Map<String, Map<String, String>> maps;
    private final Map<String, Path> tableSchemas;
    private final List<String> problems;

    Values(Map<ConfigKey<?>, Object> parsed, Map<String, Map<String, String>> maps, Map<String, Path> tableSchemas,
           List<String> problems) {
        this.parsed = parsed;
        this.maps = maps;
        this.tableSchemas = Map.copyOf(tableSchemas);
        this.problems = problems;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        if (!parsed.containsKey(key)) {
            throw new IllegalStateException("key not parsed (not in ConfigKeys.SECTIONS?): " + key.path());
        }
        return (T) parsed.get(key);
    }

    /** An endpoint-like key: empty text is "none". */
    public Optional<URI> uri(ConfigKey<String> key) {
        String s = get(key);
        return s.isBlank() ? Optional.empty() : Optional.of(URI.create(s.trim()));
    }

    /** Empty text is "none". */
    public Optional<String> optional(ConfigKey<String> key) {
        String s = get(key);
        return s.isBlank() ? Optional.empty() : Optional.of(s.trim());
    }

    /** Iceberg catalog properties ({@value ConfigKeys#ICEBERG_CATALOG_SECTION}). */
    public Map<String, String> catalog() {
        return map(ConfigKeys.ICEBERG_CATALOG_SECTION);
    }

    /** A free-form section of {@link ConfigKeys#FREE_MAPS}: names to values, in the order given. */
    public Map<String, String> map(String section) {
        return Map.copyOf(maps.getOrDefault(section, Map.of()));
    }

    /** Typed schema file per DynamoDB table ({@value ConfigKeys#TABLES_SECTION}), resolved and readable. */
    public Map<String, Path> tableSchemas() {
        return tableSchemas;
    }

    /** A rule across keys is broken: reported with every other problem, naming the keys. */
    public void problem(String message) {
        problems.add(message);
    }
}
