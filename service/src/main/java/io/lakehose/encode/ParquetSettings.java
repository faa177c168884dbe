package io.lakehose.encode;

/**
 * How Parquet files are written.
 *
 * @param compression   page codec
 * @param zstdLevel     zstd level (1-22); 3 is zstd's own default, a good speed/size balance
 * @param rowGroupBytes target row group size; also the most heap one open file holds
 * @param pageBytes     target page size
 */
public record ParquetSettings(Compression compression, int zstdLevel, long rowGroupBytes, int pageBytes) {

    public static ParquetSettings defaults() {
        return new ParquetSettings(Compression.ZSTD, 3, 64L * 1024 * 1024, 1024 * 1024);
    }
}
