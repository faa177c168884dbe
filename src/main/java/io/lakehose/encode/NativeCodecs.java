package io.lakehose.encode;

import com.github.luben.zstd.util.Native;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyError;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a page codec's native library loads on this machine. The jar carries zstd's and
 * Snappy's natives for Linux x86_64 and aarch64 only, the image's platforms; elsewhere the codec
 * would fail at the first flush, after records were consumed, so commands check it at start.
 */
public final class NativeCodecs {

    private NativeCodecs() {
    }

    /** @return why {@code compression} cannot be used here, or empty when it can */
    public static Optional<String> unavailable(Compression compression) {
        try {
            switch (compression) {
                case ZSTD -> Native.load();
                case SNAPPY -> Snappy.maxCompressedLength(1);
                case GZIP, NONE -> {
                    // java.util.zip, or nothing: no native library of ours.
                }
            }
            return Optional.empty();
        } catch (LinkageError | SnappyError e) {
            return Optional.of(compression.name().toLowerCase(Locale.ROOT) + "'s native library does not load on "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                    + " (the jar carries zstd and Snappy for Linux x86_64 and aarch64 only)");
        }
    }
}
