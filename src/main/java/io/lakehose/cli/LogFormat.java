package io.lakehose.cli;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code LAKEHOSE_LOG_FORMAT}: {@code json} (the default, one JSON object per line on stderr) or
 * {@code text} (for a terminal), written by {@link StderrAppender}. The value is checked here,
 * before anything logs, so that a typo is an error at start rather than a format nobody asked for.
 */
final class LogFormat {

    static final String ENV = "LAKEHOSE_LOG_FORMAT";
    private static final Set<String> FORMATS = Set.of("json", "text");

    private LogFormat() {
    }

    /** What is wrong with the environment's log format, if anything. */
    static Optional<String> problem(Map<String, String> env) {
        String value = env.get(ENV);
        if (value == null || FORMATS.contains(value)) {
            return Optional.empty();
        }
        return Optional.of(ENV + " must be json or text, not '" + value + "'");
    }
}
