package io.lakehose.cli;

import io.lakehose.config.KinesisSettings;
import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** How every subcommand reads its {@code --config}: the file, the environment, command-line overrides. */
final class ConfigFiles {

    private ConfigFiles() {
    }

    /** @param file the YAML, or null for none (defaults and environment only) */
    static LakehoseConfig load(Path file, Map<String, String> overrides) throws ConfigException {
        if (file != null && !Files.isRegularFile(file)) {
            throw new UserError("config file " + file + " does not exist");
        }
        return ConfigLoader.load(file, System.getenv(), overrides);
    }

    static LakehoseConfig load(Path file) throws ConfigException {
        return load(file, Map.of());
    }

    /** The configuration of a command that works on the stream: kinesis.stream must be set. */
    static LakehoseConfig loadWithStream(Path file, String command) throws ConfigException {
        LakehoseConfig cfg = load(file);
        if (cfg.kinesis().stream().isBlank()) {
            throw new UserError(KinesisSettings.STREAM.path() + " is required by " + command + " (or set "
                    + KinesisSettings.STREAM.envName() + ")");
        }
        return cfg;
    }
}
