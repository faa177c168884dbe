package io.lakehose.encode;

import com.github.luben.zstd.ZstdCompressCtx;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

/**
 * Page compressors that call zstd-jni, snappy-java and java.util.zip directly.
 *
 * <p>Why: parquet-hadoop's default CodecFactory instantiates Hadoop codec classes for SNAPPY and
 * ZSTD, which would drag the Hadoop client (about 50 MB) into the jar. Writing needs only
 * compressors; decompression is never asked for on the write path. One instance per file writer
 * (the writer releases it on close); not thread-safe, like the writer itself.
 */
public final class LibraryCodecFactory implements CompressionCodecFactory {

    private final int zstdLevel;
    private BytesInputCompressor compressor;

    public LibraryCodecFactory(int zstdLevel) {
        this.zstdLevel = zstdLevel;
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codecName) {
        if (compressor == null || compressor.getCodecName() != codecName) {
            if (compressor != null) {
                compressor.release();
            }
            compressor = switch (codecName) {
                case ZSTD -> new ZstdCompressor(zstdLevel);
                case SNAPPY -> new SnappyCompressor();
                case GZIP -> new GzipCompressor();
                case UNCOMPRESSED -> new NoCompressor();
                default -> throw new IllegalArgumentException("unsupported Parquet codec " + codecName
                        + " (supported: ZSTD, SNAPPY, GZIP, UNCOMPRESSED)");
            };
        }
        return compressor;
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codecName) {
        throw new UnsupportedOperationException("lakehose only writes Parquet; no decompressor for " + codecName);
    }

    @Override
    public void release() {
        if (compressor != null) {
            compressor.release();
            compressor = null;
        }
    }

    private static final class ZstdCompressor implements BytesInputCompressor {
        private final ZstdCompressCtx ctx = new ZstdCompressCtx();

        ZstdCompressor(int level) {
            ctx.setLevel(level);
        }

        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            return BytesInput.from(ctx.compress(bytes.toByteArray()));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.ZSTD;
        }

        @Override
        public void release() {
            ctx.close();
        }
    }

    private static final class SnappyCompressor implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            return BytesInput.from(Snappy.compress(bytes.toByteArray()));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.SNAPPY;
        }

        @Override
        public void release() {
        }
    }

    private static final class GzipCompressor implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(64, bytes.size() / 4));
            try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
                bytes.writeAllTo(gz);
            }
            return BytesInput.from(out.toByteArray());
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.GZIP;
        }

        @Override
        public void release() {
        }
    }

    private static final class NoCompressor implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput bytes) {
            return bytes;
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.UNCOMPRESSED;
        }

        @Override
        public void release() {
        }
    }
}
