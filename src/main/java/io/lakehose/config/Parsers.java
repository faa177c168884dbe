package io.lakehose.config;

import io.lakehose.decode.TableNames;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Value parsers that say exactly what is allowed when they reject a value. */
final class Parsers {

    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    static final long GIB = 1024 * MIB;

    private Parsers() {
    }

    static Function<String, String> string() {
        return s -> s;
    }

    static Function<String, Boolean> bool() {
        return s -> switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + s + "' is not true or false");
        };
    }

    static Function<String, Long> longIn(long min, long max) {
        return s -> {
            long v;
            try {
                v = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + s + "' is not a whole number");
            }
            return checkRange(v, min, max, Long.toString(min), Long.toString(max));
        };
    }

    static Function<String, Integer> intIn(int min, int max) {
        return s -> longIn(min, max).apply(s).intValue();
    }

    /** Bytes, as a number or with a KiB/MiB/GiB (or KB/MB/GB, also binary) suffix. */
    static Function<String, Long> bytesIn(long min, long max) {
        return s -> {
            String t = s.trim().toUpperCase(Locale.ROOT).replace(" ", "");
            long unit = 1;
            String[][] units = {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"},
                    {"KB", "1024"}, {"MB", "1048576"}, {"GB", "1073741824"}, {"B", "1"}};
            for (String[] u : units) {
                if (t.endsWith(u[0])) {
                    unit = Long.parseLong(u[1]);
                    t = t.substring(0, t.length() - u[0].length());
                    break;
                }
            }
            long v;
            try {
                v = Math.multiplyExact(Long.parseLong(t), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException("'" + s + "' is not a size (e.g. 134217728, 128MiB, 5GiB)");
            }
            return checkRange(v, min, max, human(min), human(max));
        };
    }

    /** An IPv4 or IPv6 address literal; host names are refused (a lookup at start could name another interface later). */
    static Function<String, InetAddress> ipAddress() {
        return s -> {
            String t = s.trim();
            boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
            boolean v6 = t.contains(":") && t.matches("[0-9A-Fa-f:.]+");
            if (v4 || v6) {
                try {
                    return InetAddress.getByName(t); // a literal: parsed, not looked up
                } catch (UnknownHostException e) {
                    // falls through to the refusal
                }
            }
            throw new IllegalArgumentException("'" + s + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
        };
    }

    static Function<String, Instant> instant() {
        return s -> {
            try {
                return Instant.parse(s.trim());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + s + "' is not an ISO-8601 instant (e.g. 2012-01-01T00:00:00Z)");
            }
        };
    }

    static Function<String, String> dynamoTableName() {
        return s -> {
            String v = s.trim();
            if (!TableNames.isValid(v)) {
                throw new IllegalArgumentException("'" + s + "' is not a DynamoDB table name (3-255 characters of "
                        + "A-Z a-z 0-9 _ . -)");
            }
            return v;
        };
    }

    static Function<String, String> choice(String... allowed) {
        return s -> {
            String v = s.trim().toLowerCase(Locale.ROOT);
            if (!Arrays.asList(allowed).contains(v)) {
                throw new IllegalArgumentException("'" + s + "' is not one of: " + String.join(", ", allowed));
            }
            return v;
        };
    }

    static <E extends Enum<E>> Function<String, E> oneOf(Class<E> type) {
        return s -> {
            try {
                return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                String allowed = Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", "));
                throw new IllegalArgumentException("'" + s + "' is not one of: " + allowed);
            }
        };
    }

    /** Empty, or an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>). */
    static Function<String, String> roleArn() {
        return s -> {
            String t = s.trim();
            if (!t.isEmpty() && !t.matches("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+")) {
                throw new IllegalArgumentException("'" + t + "' is not an IAM role ARN "
                        + "(arn:aws:iam::123456789012:role/name)");
            }
            return t;
        };
    }

    /** Empty, or an http:// or https:// URL. */
    static Function<String, String> url() {
        return s -> {
            String t = s.trim();
            if (!t.isEmpty() && !t.startsWith("http://") && !t.startsWith("https://")) {
                throw new IllegalArgumentException("'" + s + "' is not an http:// or https:// URL");
            }
            return t;
        };
    }

    private static long checkRange(long v, long min, long max, String minText, String maxText) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(v + " is out of range [" + minText + ", " + maxText + "]");
        }
        return v;
    }

    private static String human(long bytes) {
        if (bytes % 1073741824L == 0 && bytes > 0) return bytes / 1073741824L + "GiB";
        if (bytes % 1048576L == 0 && bytes > 0) return bytes / 1048576L + "MiB";
        if (bytes % 1024L == 0 && bytes > 0) return bytes / 1024L + "KiB";
        return Long.toString(bytes);
    }
}
