package io.lakehose.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.ipAddress;
import static io.lakehose.config.Parsers.longIn;

/**
 * What `run` serves (the http.* keys).
 *
 * @param port             of /metrics, /health and /ready; 0: none
 * @param bindAddress      the interface they listen on
 * @param uploadStuckAfter /health fails when an upload has been in flight this long
 */
public record HttpConfig(int port, InetAddress bindAddress, Duration uploadStuckAfter) {

    public static final ConfigKey<Integer> PORT = new ConfigKey<>("http.port", "8080", intIn(0, 65535),
            "Port of /metrics (Prometheus), /health and /ready for `run`; 0 turns them off. Other commands do not "
                    + "use it (`backfill` has `--http-port`, none by default).");
    public static final ConfigKey<InetAddress> BIND_ADDRESS = new ConfigKey<>("http.bindAddress", "127.0.0.1",
            ipAddress(), "Interface (IP address) the endpoints listen on, for `run` and `backfill --http-port`. The "
            + "default, loopback, serves health checks run on the host or in the container; `0.0.0.0` (all "
            + "interfaces: the container image sets it) lets Prometheus scrape from elsewhere.");
    public static final ConfigKey<Long> UPLOAD_STUCK_SECONDS = new ConfigKey<>("http.uploadStuckSeconds", "600",
            longIn(10, 86_400), "/health fails when an upload has been in flight this long (the task is wedged).");

    static final Section<HttpConfig> SECTION = new Section<>("http", List.of(PORT, BIND_ADDRESS, UPLOAD_STUCK_SECONDS),
            v -> new HttpConfig(v.get(PORT), v.get(BIND_ADDRESS), Duration.ofSeconds(v.get(UPLOAD_STUCK_SECONDS))));

    /** The address and port the endpoints listen on. */
    public InetSocketAddress endpoint() {
        return new InetSocketAddress(bindAddress, port);
    }
}
