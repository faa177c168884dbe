package io.lakehose.backfill;

import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * Where an export is: {@code s3://bucket/prefix/AWSDynamoDB/<export-id>/}, or the same folder
 * copied to a local directory. Keys in the manifests are full keys in the export's bucket.
 */
sealed interface ExportLocation permits ExportLocation.S3, ExportLocation.Local {

    String SUMMARY = "manifest-summary.json";

    /** The manifest summary's key (bucket key for S3, relative path for a directory). */
    String summaryKey();

    InputStream open(String key) throws IOException;

    static ExportLocation parse(String uri, S3AsyncClient s3) {
        String u = uri.endsWith("/") ? uri : uri + "/";
        if (!u.contains("/AWSDynamoDB/")) {
            throw new BackfillArgumentException("--from-export " + uri + " is not an export folder: expected "
                    + "s3://bucket/prefix/AWSDynamoDB/<export-id>/");
        }
        if (u.startsWith("s3://")) {
            String rest = u.substring(5);
            int slash = rest.indexOf('/');
            return new S3(s3, rest.substring(0, slash), rest.substring(slash + 1));
        }
        return new Local(Path.of(u.startsWith("file://") ? u.substring(7) : u));
    }

    /** @param prefix the export folder's key, ending with '/' */
    record S3(S3AsyncClient s3, String bucket, String prefix) implements ExportLocation {
        @Override
        public String summaryKey() {
            return prefix + SUMMARY;
        }

        @Override
        public InputStream open(String key) throws IOException {
            try {
                return s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBlockingInputStream())
                        .join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof NoSuchKeyException) {
                    throw new FileNotFoundException("s3://" + bucket + "/" + key + " does not exist");
                }
                throw new IOException("cannot read s3://" + bucket + "/" + key + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        }

        @Override
        public String toString() {
            return "s3://" + bucket + "/" + prefix;
        }
    }

    /** A local copy: a manifest key's part after {@code AWSDynamoDB/<id>/} is a path under the folder. */
    record Local(Path folder) implements ExportLocation {
        @Override
        public String summaryKey() {
            return SUMMARY;
        }

        @Override
        public InputStream open(String key) throws IOException {
            String relative = key;
            int at = key.indexOf("AWSDynamoDB/");
            if (at >= 0) {
                String afterRoot = key.substring(at + "AWSDynamoDB/".length());
                relative = afterRoot.substring(afterRoot.indexOf('/') + 1);
            }
            Path file = folder.resolve(relative);
            if (!Files.isRegularFile(file)) {
                throw new FileNotFoundException(file + " does not exist");
            }
            return Files.newInputStream(file);
        }

        @Override
        public String toString() {
            return folder.toString();
        }
    }
}
