package io.lakehose.config;

import java.time.Duration;
import java.util.List;

import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.longIn;

/**
 * What `run` serves (the http.* keys).
 *
 * @param port             of /metrics, /health and /ready; 0: none
 * @param uploadStuckAfter /health fails when an upload has been in flight this long
 */
public record HttpConfig(int port, Duration uploadStuckAfter) {

    public static final ConfigKey<Integer> PORT = new ConfigKey<>("http.port", "8080", intIn(0, 65535),
            "Port of /metrics (Prometheus), /health and /ready for `run`; 0 turns them off. Other commands do not "
                    + "use it (`backfill` has `--http-port`, none by default).");
    public static final ConfigKey<Long> UPLOAD_STUCK_SECONDS = new ConfigKey<>("http.uploadStuckSeconds", "600",
            longIn(10, 86_400), "/health fails when an upload has been in flight this long (the task is wedged).");

    static final Section<HttpConfig> SECTION = new Section<>("http", List.of(PORT, UPLOAD_STUCK_SECONDS),
            v -> new HttpConfig(v.get(PORT), Duration.ofSeconds(v.get(UPLOAD_STUCK_SECONDS))));
}
