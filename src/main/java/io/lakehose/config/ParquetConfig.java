package io.lakehose.config;

import io.lakehose.encode.Compression;
import io.lakehose.encode.ParquetSettings;

import java.util.List;

import static io.lakehose.config.Parsers.GIB;
import static io.lakehose.config.Parsers.KIB;
import static io.lakehose.config.Parsers.MIB;
import static io.lakehose.config.Parsers.bytesIn;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.oneOf;

/** How files are encoded (the parquet.* keys); the section's record is the encoder's own {@link ParquetSettings}. */
public final class ParquetConfig {

    public static final ConfigKey<Compression> COMPRESSION = new ConfigKey<>("parquet.compression", "zstd",
            oneOf(Compression.class), "Page codec: zstd, snappy, gzip or none.");
    public static final ConfigKey<Integer> ZSTD_LEVEL = new ConfigKey<>("parquet.zstdLevel", "1",
            intIn(1, 22), "zstd level: higher is smaller and slower (on CDC JSON, 3 is no smaller than 1 and about 10% slower).");
    public static final ConfigKey<Long> ROW_GROUP = new ConfigKey<>("parquet.rowGroupBytes", "64MiB",
            bytesIn(64 * KIB, 2 * GIB), "Row group size; also the most heap one open file holds.");
    public static final ConfigKey<Long> PAGE = new ConfigKey<>("parquet.pageBytes", "1MiB",
            bytesIn(4 * KIB, 256 * MIB), "Page size.");

    static final Section<ParquetSettings> SECTION = new Section<>("parquet",
            List.of(COMPRESSION, ZSTD_LEVEL, ROW_GROUP, PAGE),
            v -> new ParquetSettings(v.get(COMPRESSION), v.get(ZSTD_LEVEL), v.get(ROW_GROUP), (int) (long) v.get(PAGE)));

    private ParquetConfig() {
    }
}
