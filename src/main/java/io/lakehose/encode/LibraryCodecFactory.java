package io.lakehose.encode;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Page compressors that call zstd-jni, snappy-java and java.util.zip directly.
 *
 * <p>Why: parquet-hadoop's default CodecFactory instantiates Hadoop codec classes for SNAPPY and
 * ZSTD, which would drag the Hadoop client (about 50 MB) into the jar. One instance per file
 * writer or reader (which releases it on close); not thread-safe, like the writer itself.
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

    /**
     * Decompressors for reading back a spool file of our own (the folder fence trims a file whose
     * first rows another writer already stored): the codecs we write, through the same libraries.
     */
    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codecName) {
        return switch (codecName) {
            case ZSTD -> new Decompressor((in, size) -> Zstd.decompress(in, size));
            case SNAPPY -> new Decompressor((in, size) -> Snappy.uncompress(in));
            case GZIP -> new Decompressor((in, size) -> {
                try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
                    return gz.readNBytes(size);
                }
            });
            case UNCOMPRESSED -> new Decompressor((in, size) -> in);
            default -> throw new IllegalArgumentException("unsupported Parquet codec " + codecName
                    + " (supported: ZSTD, SNAPPY, GZIP, UNCOMPRESSED)");
        };
    }

    private interface ByteArrayCodec {
        byte[] decompress(byte[] in, int uncompressedSize) throws IOException;
    }

    private record Decompressor(ByteArrayCodec codec) implements BytesInputDecompressor {
        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            return BytesInput.from(codec.decompress(bytes.toByteArray(), uncompressedSize));
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            output.put(codec.decompress(in, uncompressedSize));
        }

        @Override
        public void release() {
        }
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
