package io.lakehose.config;

import java.util.List;
import java.util.function.Function;

/**
 * One concern's part of the configuration: its keys (path, default, parser, documentation) and
 * how their parsed values become the concern's record. A setting is added in one place: a key
 * constant, a component of the record and its argument in {@link #build}, side by side in the
 * section's own file; {@link ConfigKeys#SECTIONS} lists the sections, and the loader, the
 * environment overrides and {@code config-reference} all read the keys from there.
 *
 * @param build the record from the parsed values; a rule across keys reports with {@link Values#problem}
 */
public record Section<T>(String name, List<ConfigKey<?>> keys, Function<Values, T> build) {

    public Section {
        keys = List.copyOf(keys);
    }
}
