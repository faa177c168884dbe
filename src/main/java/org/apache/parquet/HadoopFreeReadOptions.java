package org.apache.parquet;

import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;

import java.util.Map;

/**
 * Read options for parquet-hadoop's {@code ParquetFileReader} that do not load Hadoop.
 *
 * <p>Why this class lives in parquet's package: every public way to build
 * {@link ParquetReadOptions} (its builders, and so {@code ParquetReader} and
 * {@code AvroParquetReader}) calls {@code ParquetInputFormat.getFilter}, which loads Hadoop's
 * {@code FileInputFormat}; the service jar has no Hadoop (docs/design.md, "Envelope schema").
 * The package-private constructor takes the same values without that call. Compiled against
 * parquet-hadoop's own signature, so a version that changes it fails the build, and
 * {@code ParquetTrimmerTest} reads a file on a classpath without Hadoop.
 */
public final class HadoopFreeReadOptions {

    private static final int MAX_ALLOCATION = 8 * 1024 * 1024;

    private HadoopFreeReadOptions() {
    }

    /** No filters, no page checksums, heap buffers, the given codecs. */
    public static ParquetReadOptions with(CompressionCodecFactory codecs) {
        return new ParquetReadOptions(
                false, // useSignedStringMinMax
                false, // useStatsFilter
                false, // useDictionaryFilter
                false, // useRecordFilter
                false, // useColumnIndexFilter
                false, // usePageChecksumVerification
                false, // useBloomFilter
                false, // useOffHeapDecryptBuffer
                false, // useHadoopVectoredIo
                FilterCompat.NOOP, ParquetMetadataConverter.NO_FILTER, codecs, new HeapByteBufferAllocator(),
                MAX_ALLOCATION, Map.of(), null, null, new PlainParquetConfiguration());
    }
}
