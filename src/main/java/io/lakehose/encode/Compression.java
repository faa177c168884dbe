package io.lakehose.encode;

import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/** The Parquet codecs lakehose offers; each is backed by a library we ship (no Hadoop codecs). */
public enum Compression {
    ZSTD(CompressionCodecName.ZSTD),
    SNAPPY(CompressionCodecName.SNAPPY),
    GZIP(CompressionCodecName.GZIP),
    NONE(CompressionCodecName.UNCOMPRESSED);

    private final CompressionCodecName parquetName;

    Compression(CompressionCodecName parquetName) {
        this.parquetName = parquetName;
    }

    public CompressionCodecName parquetName() {
        return parquetName;
    }
}
