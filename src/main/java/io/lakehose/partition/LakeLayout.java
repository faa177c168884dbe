package io.lakehose.partition;

import io.lakehose.decode.SequenceNumber;

import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which directory a record goes to (docs/design.md, "Lake layout"). Data:
 * {@code <prefix>/<template>} with the default template {@code table={table}/dt={date}/hour={hour}};
 * errors: {@code <errorPrefix>/table=<table>/reason=<code>/dt=<date>}. The names of objects inside a directory
 * are the commit adapter's ({@code commit.folders.ObjectNames}); {@link #objectKey} and
 * {@link #rangeOf} are the names of the release before the fence, still read on recovery.
 */
public final class LakeLayout {

    public static final String DEFAULT_TEMPLATE = "table={table}/dt={date}/hour={hour}";
    /** {@code lake.table}'s default. */
    public static final String DEFAULT_UNKNOWN_TABLE = "unknown";
    public static final List<String> PLACEHOLDERS = List.of("table", "date", "hour", "year", "month", "day");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");

    private final String prefix;
    private final String template;
    private final String errorPrefix;
    private final Pattern directoryPattern;
    private final String unknownTable;

    public LakeLayout(String prefix, String template, String errorPrefix) {
        this(prefix, template, errorPrefix, DEFAULT_UNKNOWN_TABLE);
    }

    /** @param unknownTable the table whose error output takes records of no readable table ({@code lake.table}) */
    public LakeLayout(String prefix, String template, String errorPrefix, String unknownTable) {
        this.unknownTable = unknownTable;
        this.prefix = normalize(prefix);
        this.template = Objects.requireNonNull(template, "template");
        this.errorPrefix = normalize(errorPrefix);
        String problem = validateTemplate(template);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.directoryPattern = directoryPattern(this.prefix, template);
    }

    /** The template as a pattern: literal text quoted, {table} captured, other placeholders one path segment. */
    private static Pattern directoryPattern(String prefix, String template) {
        StringBuilder regex = new StringBuilder(prefix.isEmpty() ? "" : Pattern.quote(prefix + "/"));
        Matcher m = PLACEHOLDER.matcher(template);
        int at = 0;
        boolean tableSeen = false;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(at, m.start())));
            if (m.group(1).equals("table") && !tableSeen) {
                regex.append("(?<table>[^/]+)");
                tableSeen = true;
            } else {
                regex.append("[^/]+");
            }
            at = m.end();
        }
        regex.append(Pattern.quote(template.substring(at)));
        return Pattern.compile(regex.toString());
    }

    public static LakeLayout defaults() {
        return new LakeLayout("", DEFAULT_TEMPLATE, "errors");
    }

    /** Null if the template is usable, else what is wrong with it. */
    public static String validateTemplate(String template) {
        if (template == null || template.isBlank()) {
            return "must not be empty";
        }
        if (template.startsWith("/") || template.endsWith("/")) {
            return "must not start or end with '/'";
        }
        Matcher m = PLACEHOLDER.matcher(template);
        boolean hasTable = false;
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group(1))) {
                return "unknown placeholder {" + m.group(1) + "}; allowed: " + PLACEHOLDERS;
            }
            hasTable |= m.group(1).equals("table");
        }
        return hasTable ? null : "must contain {table}, or rows of different tables (and schemas) would share files";
    }

    /**
     * The table a partition directory of this layout belongs to, or empty for a directory the
     * layout does not make (an error directory, a control key).
     */
    public Optional<String> tableOf(String directory) {
        Matcher m = directoryPattern.matcher(directory);
        return m.matches() ? Optional.of(m.group("table")) : Optional.empty();
    }

    /** The lake prefix (no leading or trailing slash; empty at the bucket root). */
    public String prefix() {
        return prefix;
    }

    /** The error output's prefix (no leading or trailing slash; empty at the bucket root). */
    public String errorPrefix() {
        return errorPrefix;
    }

    /** The partition directory (relative key prefix, no trailing slash) for a table and event hour. */
    public String partitionDirectory(String table, long epochHour) {
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(epochHour, 24));
        int hour = (int) Math.floorMod(epochHour, 24);
        String dir = template
                .replace("{table}", table)
                .replace("{date}", date.toString())
                .replace("{hour}", twoDigits(hour))
                .replace("{year}", Integer.toString(date.getYear()))
                .replace("{month}", twoDigits(date.getMonthValue()))
                .replace("{day}", twoDigits(date.getDayOfMonth()));
        return join(prefix, dir);
    }

    /**
     * Key of a control object of the service (e.g. a backfill's progress) under the lake prefix.
     * The leading underscore keeps it out of Athena, Glue, Spark and Hive scans of the tables.
     */
    public String controlKey(String name) {
        return join(prefix, "_lakehose/" + name);
    }

    /** The error directory for a reason code and the day (UTC) of the arrival time. */
    public String errorDirectory(String table, String reasonCode, long arrivalMicros) {
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(arrivalMicros, 86_400_000_000L));
        return join(errorPrefix, "table=" + table + "/reason=" + reasonCode + "/dt=" + date);
    }

    /**
     * The error directory of a record whose own table may be unknown (it could not be read, or
     * was no valid table name): then the configured table's ({@code lake.table}).
     */
    public String errorDirectory(Optional<String> table, String reasonCode, long arrivalMicros) {
        return errorDirectory(table.orElse(unknownTable), reasonCode, arrivalMicros);
    }

    /**
     * Where the release before the per-table error output put the same records: for an error
     * directory {@code <errorPrefix>/table=<t>/reason=<r>/dt=<d>}, {@code <errorPrefix>/reason=<r>/dt=<d>};
     * nothing for a data directory. Recovery reads marks there too, so an upgrade duplicates nothing.
     */
    public List<String> legacyDirectories(String directory) {
        String base = errorPrefix.isEmpty() ? "" : errorPrefix + "/";
        if (!directory.startsWith(base + "table=")) {
            return List.of();
        }
        int slash = directory.indexOf('/', base.length());
        return slash < 0 ? List.of() : List.of(base + directory.substring(slash + 1));
    }

    /**
     * The key that the release before the fence gave the file holding records
     * {@code first..last} of a shard in {@code directory}: {@code <dir>/<shard>-<first>-<last><ext>}.
     * Lakes it wrote still hold such objects; recovery reads their ranges ({@link #rangeOf}).
     */
    public static String objectKey(String directory, String shardId, SequenceNumber first, SequenceNumber last,
                                   String extension) {
        return directory + "/" + shardId + "-" + first + "-" + last + extension;
    }

    /**
     * The (first, last) range of an object name written by {@link #objectKey} for {@code shardId},
     * or null if the name is not one of that shard's objects.
     */
    public static SequenceNumber[] rangeOf(String objectName, String shardId) {
        String prefix = shardId + "-";
        int slash = objectName.lastIndexOf('/');
        String name = objectName.substring(slash + 1);
        if (!name.startsWith(prefix)) {
            return null;
        }
        String rest = name.substring(prefix.length());
        int ext = rest.indexOf('.', Math.max(0, rest.lastIndexOf('-')));
        while (ext >= 0 && ext + 1 < rest.length() && Character.isDigit(rest.charAt(ext + 1))) {
            ext = rest.indexOf('.', ext + 1); // a ".sub" of the last sequence number, not the extension
        }
        String range = ext < 0 ? rest : rest.substring(0, ext);
        String[] parts = range.split("-");
        if (parts.length != 2) {
            return null;
        }
        try {
            return new SequenceNumber[] {SequenceNumber.parse(parts[0]), SequenceNumber.parse(parts[1])};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public static long epochHour(long epochMicros) {
        return Math.floorDiv(epochMicros, 3_600_000_000L);
    }

    private static String twoDigits(int v) {
        return v < 10 ? "0" + v : Integer.toString(v);
    }

    private static String join(String prefix, String rest) {
        return prefix.isEmpty() ? rest : prefix + "/" + rest;
    }

    private static String normalize(String p) {
        if (p == null) {
            return "";
        }
        String s = p.strip();
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
