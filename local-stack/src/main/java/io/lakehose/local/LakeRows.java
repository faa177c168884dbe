package io.lakehose.local;

import io.lakehose.encode.ParquetRows;
import org.apache.avro.generic.GenericRecord;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The rows of the lake in the emulated bucket, one line each under its object's name: what
 * {@code rows} and {@code --demo} print. Read as the service reads its own files
 * ({@link ParquetRows}), so seeing them needs nothing but this jar.
 */
final class LakeRows {

    static final String LAKE_PREFIX = "lake/";

    private final S3Client s3;
    private final String bucket;

    LakeRows(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    /** The Parquet objects of the lake, by key (a shard's objects sort in stream order). */
    List<S3Object> objects() {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LAKE_PREFIX)).contents().stream()
                .filter(o -> o.key().endsWith(".parquet"))
                .sorted(Comparator.comparing(S3Object::key))
                .toList();
    }

    /** Prints every row of every object and returns how many rows there were. */
    int print(PrintStream out) throws IOException {
        List<S3Object> objects = objects();
        if (objects.isEmpty()) {
            out.printf("no Parquet objects under s3://%s/%s yet%n", bucket, LAKE_PREFIX);
            return 0;
        }
        int rows = read(keys(objects), key -> out.printf("s3://%s/%s%n", bucket, key), row -> out.println("  " + line(row)));
        out.printf("%d row(s) in %d object(s)%n", rows, objects.size());
        return rows;
    }

    /** How many rows the lake holds. */
    int count() throws IOException {
        return read(keys(objects()), key -> { }, row -> { });
    }

    private static List<String> keys(List<S3Object> objects) {
        return objects.stream().map(S3Object::key).toList();
    }

    /** Reads the Parquet objects {@code keys} of the bucket, in order; returns how many rows they hold. */
    int read(List<String> keys, Consumer<String> onObject, Consumer<GenericRecord> onRow) throws IOException {
        int[] rows = {0};
        Path file = Files.createTempFile("lakehose-rows-", ".parquet");
        try {
            for (String key : keys) {
                onObject.accept(key);
                s3.getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toFile(delete(file)));
                ParquetRows.forEach(file, row -> {
                    onRow.accept(row);
                    rows[0]++;
                });
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return rows[0];
    }

    /** The SDK writes only to a file that does not exist yet. */
    private static Path delete(Path file) throws IOException {
        Files.deleteIfExists(file);
        return file;
    }

    /** {@code INSERT 2026-12-07T06:26:59.123Z keys={"id":"1"} new_image={...}}: what changed, when. */
    static String line(GenericRecord row) {
        String event = String.valueOf(column(row, "event_name"));
        StringBuilder line = new StringBuilder(event).append(' ').append(eventTime(column(row, "event_time")))
                .append(" keys=").append(column(row, "keys"));
        String image = "REMOVE".equals(event) ? "old_image" : "new_image";
        if (column(row, image) != null) {
            line.append(' ').append(image).append('=').append(column(row, image));
        }
        return line.toString();
    }

    /** A column's value, or null where the table's schema has no such column. */
    private static Object column(GenericRecord row, String name) {
        return row.getSchema().getField(name) == null ? null : row.get(name);
    }

    private static Object eventTime(Object micros) {
        return micros instanceof Long m ? Instant.EPOCH.plus(m, ChronoUnit.MICROS) : micros;
    }
}
