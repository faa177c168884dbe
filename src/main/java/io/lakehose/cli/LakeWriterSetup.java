package io.lakehose.cli;

import io.lakehose.buffer.SpoolDirectory;
import io.lakehose.config.BufferConfig;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.config.ParquetConfig;
import io.lakehose.encode.NativeCodecs;
import io.lakehose.kcl.BoundedClose;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.S3ObjectStore;
import software.amazon.awssdk.metrics.MetricPublisher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The object store, spool directory and page codec for a lake target, checked up front so that an
 * unwritable directory or a codec without its native library is a clear error before any record
 * is read.
 */
record LakeWriterSetup(ObjectStore store, Path spoolDir, boolean removeSpoolAfter) {

    static LakeWriterSetup forTarget(LakehoseConfig config) {
        return forTarget(config, null);
    }

    /** @param s3Metrics receives the S3 client's call metrics, or null */
    static LakeWriterSetup forTarget(LakehoseConfig config, MetricPublisher s3Metrics) {
        requireLoadableCodec(config);
        if (config.target() instanceof LakehoseConfig.LocalTarget local) {
            Path dir = local.directory();
            // Spool inside the output directory so that finishing a file is an atomic rename.
            mkdirs(dir, "output directory");
            if (!Files.isWritable(dir)) {
                throw new UserError("output directory " + dir + " is not writable");
            }
            Path spool = processSpool(dir.resolve(".lakehose-spool"), "lake.uri");
            return new LakeWriterSetup(new LocalDirectoryStore(dir), spool, true);
        }
        LakehoseConfig.S3Target s3 = (LakehoseConfig.S3Target) config.target();
        Path spool = processSpool(config.buffer().spoolDir(), BufferConfig.SPOOL_DIR.path());
        S3ObjectStore store = s3Metrics == null ? new S3ObjectStore(config.s3Settings(s3.bucket()))
                : new S3ObjectStore(config.s3Settings(s3.bucket()), s3Metrics);
        return new LakeWriterSetup(store, spool, true);
    }

    /** Fails when parquet.compression's native library does not load here: before any record is read or written. */
    static void requireLoadableCodec(LakehoseConfig config) {
        NativeCodecs.unavailable(config.parquet().compression()).ifPresent(reason -> {
            throw new UserError(ParquetConfig.COMPRESSION.path() + ": " + reason + "; set it (or "
                    + ParquetConfig.COMPRESSION.envName() + ") to gzip or none");
        });
    }

    /** This process's private directory under {@code root} ({@link SpoolDirectory}); {@code key} names the setting. */
    private static Path processSpool(Path root, String key) {
        try {
            return SpoolDirectory.claim(root);
        } catch (SpoolDirectory.RefusedException e) {
            throw new UserError("spool directory (" + key + ") refused: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot create spool directory (" + key + ") " + root + ": " + IoErrors.describe(e));
        }
    }

    void cleanUp() {
        store.close();
        removeSpool();
    }

    /**
     * The same, for a stop that must keep its budget: waits for the store's clients to close
     * ({@link BoundedClose}) at most {@code closeLimit}.
     */
    void cleanUp(Duration closeLimit) throws InterruptedException {
        BoundedClose.close("the object store's client", store, closeLimit);
        removeSpool();
    }

    private void removeSpool() {
        if (removeSpoolAfter) {
            SpoolDirectory.deleteTree(spoolDir);
            try {
                Files.deleteIfExists(spoolDir.getParent()); // only succeeds when no other process spools there
            } catch (IOException ignored) {
                // not empty: another process is using it
            }
        }
    }

    private static void mkdirs(Path dir, String what) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError("cannot create " + what + " " + dir + ": " + IoErrors.describe(e));
        }
    }
}
