package io.lakehose.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One configuration key: its YAML path, default, parser/validator and documentation in one place
 * (the README's configuration reference is generated from these by {@code lakehose config-reference}).
 *
 * @param path    dotted YAML path, e.g. {@code buffer.maxBytes}
 * @param def     default as it would be written in YAML; null means required
 * @param parse   turns the text into the value or throws IllegalArgumentException saying what is allowed
 * @param doc     what it does, its range and trade-off
 */
public record ConfigKey<T>(String path, String def, Function<String, T> parse, String doc) {

    /** Environment variable that overrides this key: LAKEHOSE_ + path in UPPER_SNAKE_CASE. */
    public String envName() {
        return envName(path);
    }

    public static String envName(String path) {
        StringBuilder sb = new StringBuilder("LAKEHOSE_");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '.' || c == '-') {
                sb.append('_');
            } else if (Character.isUpperCase(c)) {
                sb.append('_').append(c);
            } else {
                sb.append(Character.toUpperCase(c));
            }
        }
        return sb.toString().toUpperCase(Locale.ROOT);
    }
}
