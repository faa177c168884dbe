package io.lakehose.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names the shipped Grafana dashboard and Prometheus alert rules use, which a worker's
 * /metrics must serve: a renamed metric fails the build instead of the pager.
 */
public final class DeployedMetrics {

    public static final List<Path> FILES = List.of(Path.of("deploy/grafana/lakehose-dashboard.json"),
            Path.of("deploy/prometheus/lakehose-alerts.yml"));
    /** Series of Iceberg's adapter: served by a worker with lake.format iceberg (IcebergWorkerTest checks them). */
    public static final String ICEBERG_PREFIX = "lakehose_iceberg_";
    private static final Pattern METRIC = Pattern.compile("\\b((?:lakehose|jvm)_[a-z0-9_]+)");

    private DeployedMetrics() {
    }

    /** Every metric name the dashboard and the alert rules use. */
    public static Set<String> used() {
        Set<String> names = new TreeSet<>();
        for (Path f : FILES) {
            try {
                Matcher m = METRIC.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    /** The metric names of a Prometheus text scrape. */
    public static Set<String> exposed(String scrape) {
        Set<String> exposed = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exposed.add(line.split("[{ ]", 2)[0]);
            }
        }
        return exposed;
    }
}
