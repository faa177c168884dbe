package io.lakehose.cli;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.S3ObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The object store and spool directory for a lake target, checked up front so that an
 * unwritable directory is a clear error before any record is read.
 */
record LakeWriterSetup(ObjectStore store, Path spoolDir, boolean removeSpoolAfter) {

    static LakeWriterSetup forTarget(LakehoseConfig config) {
        if (config.target() instanceof LakehoseConfig.LocalTarget local) {
            Path dir = local.directory();
            // Spool inside the output directory so that finishing a file is an atomic rename.
            Path spool = dir.resolve(".lakehose-spool");
            mkdirs(dir, "output directory");
            mkdirs(spool, "output directory");
            if (!Files.isWritable(dir)) {
                throw new UserError("output directory " + dir + " is not writable");
            }
            return new LakeWriterSetup(new LocalDirectoryStore(dir), spool, true);
        }
        LakehoseConfig.S3Target s3 = (LakehoseConfig.S3Target) config.target();
        mkdirs(config.spoolDir(), "spool directory (buffer.spoolDir)");
        return new LakeWriterSetup(new S3ObjectStore(config.s3Settings(s3.bucket())), config.spoolDir(), false);
    }

    void cleanUp() {
        store.close();
        if (removeSpoolAfter) {
            try (var files = Files.list(spoolDir)) {
                files.forEach(f -> f.toFile().delete());
                Files.deleteIfExists(spoolDir);
            } catch (IOException ignored) {
                // leftovers only cost disk space; the next run clears them
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
