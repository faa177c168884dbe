package io.lakehose.encode;

/**
 * How Parquet files are written.
 *
 * @param compression   page codec
 * @param zstdLevel     zstd level (1-22); 1: on CDC JSON pages level 3 was no smaller and about 10% slower
 *                      (README, "Performance": 1.6% larger files, 1.10x the CPU)
 * @param rowGroupBytes target row group size; also the most heap one open file holds
 * @param pageBytes     target page size
 */
public record ParquetSettings(Compression compression, int zstdLevel, long rowGroupBytes, int pageBytes) {

    public static ParquetSettings defaults() {
        return new ParquetSettings(Compression.ZSTD, 1, 64L * 1024 * 1024, 1024 * 1024);
    }
}
