package io.lakehose.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The lake of one stream of a {@link WorkerHarness}, downloaded under {@code dir}: object keys,
 * rows ("shard/sequence", duplicates kept) and the error output's lines.
 */
public record StreamLake(Path dir, String stream, List<String> keys, List<String> rows, List<JsonNode> errorLines) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static StreamLake read(WorkerHarness h, Path dir) throws IOException {
        List<String> keys = h.download(dir);
        List<String> rows = h.rows(dir);
        List<JsonNode> errors = new ArrayList<>();
        Path errorDir = dir.resolve(h.stream() + "-errors");
        if (Files.isDirectory(errorDir)) {
            for (Path f : DuckDbLake.files(errorDir, ".jsonl")) {
                errors.addAll(errorLines(Files.readString(f, StandardCharsets.UTF_8)));
            }
        }
        return new StreamLake(dir, h.stream(), keys, rows, errors);
    }

    /** The lines of an error output object (JSON lines; blank lines skipped). */
    public static List<JsonNode> errorLines(String jsonLines) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : jsonLines.split("\n")) {
            if (!line.isBlank()) {
                try {
                    lines.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException("not an error line: " + line, e);
                }
            }
        }
        return lines;
    }

    /** "shard/sequence" of each error line. */
    public static List<String> errorIds(List<JsonNode> errorLines) {
        return errorLines.stream().map(e -> e.get("shard_id").asText() + "/" + e.get("sequence_number").asText()).toList();
    }

    public long dataObjects() {
        return keys.stream().filter(k -> k.endsWith(".parquet")).count();
    }

    public List<String> errorIds() {
        return errorIds(errorLines);
    }

    public Set<String> errorCodes() {
        return errorLines.stream().map(e -> e.get("error_code").asText()).collect(Collectors.toSet());
    }

    /** Object key to its row count. */
    public Map<String, Long> rowsPerObject() {
        Map<String, Long> counts = new HashMap<>();
        if (DuckDbLake.parquetFiles(dir).isEmpty()) {
            return counts;
        }
        try (DuckDbLake db = DuckDbLake.open()) {
            for (Map<String, Object> r : db.query("SELECT filename AS f, count(*) AS n FROM read_parquet("
                    + DuckDbLake.literal(dir.toAbsolutePath() + "/" + stream + "/**/*.parquet") + ", filename = true) GROUP BY filename")) {
                String file = (String) r.get("f");
                counts.put(dir.toAbsolutePath().relativize(Path.of(file)).toString(), ((Number) r.get("n")).longValue());
            }
        }
        return counts;
    }
}
