package io.lakehose.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final stage of a Dockerfile, read the way deploy/README.md ("Runtime command") says tests
 * read it: ENTRYPOINT and CMD are the single lines that start at column 0 with those words, each a
 * JSON array; ENV, COPY, EXPOSE, STOPSIGNAL and HEALTHCHECK are instructions of the final stage
 * (after the last FROM), continuation lines joined. Enough of Dockerfile syntax for ours; anything
 * it does not understand fails loudly rather than being guessed.
 */
public final class Dockerfile {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One instruction: its keyword (upper case) and the rest, continuation lines joined. */
    public record Instruction(String keyword, String args) {
    }

    private final List<String> lines;
    private final List<Instruction> finalStage;

    private Dockerfile(List<String> lines, List<Instruction> finalStage) {
        this.lines = lines;
        this.finalStage = finalStage;
    }

    public static Dockerfile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Instruction> all = instructions(lines);
        int lastFrom = -1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).keyword().equals("FROM")) {
                lastFrom = i;
            }
        }
        if (lastFrom < 0) {
            throw new IllegalArgumentException(file + " has no FROM");
        }
        return new Dockerfile(lines, all.subList(lastFrom, all.size()));
    }

    /** ENTRYPOINT then CMD: the command line the container runs. */
    public List<String> command() {
        List<String> command = new ArrayList<>(execForm("ENTRYPOINT"));
        command.addAll(execForm("CMD"));
        return command;
    }

    /** The final stage's ENV, in order ({@code ENV K=V K2="V 2"} or {@code ENV K V}). */
    public Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
        for (Instruction i : instructions("ENV")) {
            if (!i.args().contains("=")) {
                String[] kv = i.args().split("\\s+", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
                continue;
            }
            Matcher m = pair.matcher(i.args());
            int end = 0;
            while (m.find()) {
                String v = m.group(2);
                env.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
                end = m.end();
            }
            if (!i.args().substring(end).isBlank()) {
                throw new IllegalArgumentException("ENV not understood: " + i.args());
            }
        }
        return env;
    }

    /** COPY destination -> source, for the final stage's copies from the build context (not --from). */
    public Map<String, String> copiesFromContext() {
        Map<String, String> copies = new LinkedHashMap<>();
        for (Instruction i : instructions("COPY")) {
            String[] parts = i.args().split("\\s+");
            if (parts[0].startsWith("--from=")) {
                continue;
            }
            if (parts.length != 2 || parts[0].startsWith("--")) {
                throw new IllegalArgumentException("COPY not understood: " + i.args());
            }
            copies.put(parts[1], parts[0]);
        }
        return copies;
    }

    /** Destinations of the final stage's copies from an earlier stage (--from=...). */
    public List<String> copiesFromStages() {
        return instructions("COPY").stream().map(i -> i.args().split("\\s+"))
                .filter(p -> p[0].startsWith("--from=")).map(p -> p[p.length - 1]).toList();
    }

    /** The final stage's instructions with this keyword. */
    public List<Instruction> instructions(String keyword) {
        return finalStage.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The one final-stage instruction with this keyword's arguments. */
    public String single(String keyword) {
        List<Instruction> found = instructions(keyword);
        if (found.size() != 1) {
            throw new IllegalArgumentException("expected one " + keyword + " in the final stage, found " + found.size());
        }
        return found.get(0).args();
    }

    private List<String> execForm(String keyword) {
        List<String> found = lines.stream().filter(l -> l.startsWith(keyword + " ")).toList();
        if (found.size() != 1) {
            throw new IllegalArgumentException("expected one line starting with '" + keyword + " ', found " + found);
        }
        String array = found.get(0).substring(keyword.length()).trim();
        try {
            return JSON.readValue(array, new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException(keyword + " is not a JSON array of strings (exec form): " + array, e);
        }
    }

    private static List<Instruction> instructions(List<String> lines) {
        List<Instruction> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : lines) {
            String line = raw.stripTrailing();
            if (line.strip().startsWith("#") || (current.isEmpty() && line.isBlank())) {
                continue; // comments, also inside a continued instruction
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            String[] kv = current.toString().strip().split("\\s+", 2);
            out.add(new Instruction(kv[0].toUpperCase(), kv.length > 1 ? kv[1].strip() : ""));
            current.setLength(0);
        }
        return out;
    }
}
