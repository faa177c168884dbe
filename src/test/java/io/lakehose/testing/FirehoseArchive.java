package io.lakehose.testing;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * What Amazon Data Firehose leaves in S3 for a DynamoDB stream, built for tests: objects under
 * {@code YYYY/MM/DD/HH/} whose records are concatenated without a delimiter (Firehose's default)
 * or followed by a newline each, GZIP-compressed or not. Knows which record is where, so a test
 * can say which sequence number convert must give each one: the object's number in key order,
 * then the record's position in the object.
 */
public final class FirehoseArchive {

    /** How the records of one object are joined. */
    public enum Delimiter { NONE, NEWLINE }

    /** One object: its key (relative path), its stored bytes, and the event ids of its records in order. */
    public record ArchiveObject(String key, byte[] bytes, List<String> eventIds) {
    }

    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy/MM/dd/HH").withZone(ZoneOffset.UTC);

    private final List<ArchiveObject> objects = new ArrayList<>();
    private int nextRecord = 1;

    /**
     * Adds an object of {@code count} records at {@code hour} (event times spread over that hour),
     * named like Firehose's objects: {@code YYYY/MM/DD/HH/<stream>-1-<time>-<suffix>}.
     */
    public FirehoseArchive add(Instant hour, String suffix, int count, Delimiter delimiter, boolean gzip) {
        List<String> records = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = nextRecord++;
            Instant time = hour.plusSeconds((long) i * 3600 / Math.max(count, 1));
            records.add(record(n, time));
            ids.add(eventId(n));
        }
        String key = HOUR.format(hour) + "/orders-stream-1-" + hour.toString().replace(":", "-") + "-" + suffix;
        objects.add(new ArchiveObject(key, encode(join(records, delimiter), gzip), ids));
        return this;
    }

    /** Adds an object with exactly these bytes and no expected records (a stray file). */
    public FirehoseArchive addRaw(String key, byte[] bytes) {
        objects.add(new ArchiveObject(key, bytes, List.of()));
        return this;
    }

    public List<ArchiveObject> objects() {
        return List.copyOf(objects);
    }

    /** Every record's event id to the sequence number convert must give it (objects in key order). */
    public Map<String, String> expectedSequences() {
        List<ArchiveObject> sorted = new ArrayList<>(objects);
        sorted.sort((a, b) -> Arrays.compareUnsigned(a.key().getBytes(StandardCharsets.UTF_8),
                b.key().getBytes(StandardCharsets.UTF_8)));
        Map<String, String> bySeq = new HashMap<>();
        for (int file = 0; file < sorted.size(); file++) {
            List<String> ids = sorted.get(file).eventIds();
            for (int position = 1; position <= ids.size(); position++) {
                bySeq.put(ids.get(position - 1), file == 0 ? Long.toString(position)
                        : file + String.format("%012d", position));
            }
        }
        return bySeq;
    }

    public int recordCount() {
        return objects.stream().mapToInt(o -> o.eventIds().size()).sum();
    }

    /** Writes every object under {@code dir}, keys as relative paths. */
    public Path writeTo(Path dir) {
        try {
            for (ArchiveObject o : objects) {
                Path file = dir.resolve(o.key());
                Files.createDirectories(file.getParent());
                Files.write(file, o.bytes());
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Puts every object into {@code bucket} under {@code prefix}. */
    public void putTo(S3Client s3, String bucket, String prefix) {
        for (ArchiveObject o : objects) {
            s3.putObject(b -> b.bucket(bucket).key(prefix + o.key()), RequestBody.fromBytes(o.bytes()));
        }
    }

    public static String eventId(int n) {
        return "ev-" + n;
    }

    /** A DynamoDB change record as DynamoDB's Kinesis integration writes it. */
    public static String record(int n, Instant time) {
        return "{\"awsRegion\":\"us-east-1\",\"eventID\":\"" + eventId(n) + "\",\"eventName\":\"MODIFY\","
                + "\"userIdentity\":null,\"recordFormat\":\"application/json\",\"tableName\":\"orders\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + time.toEpochMilli() + ","
                + "\"Keys\":{\"id\":{\"N\":\"" + n + "\"}},"
                + "\"NewImage\":{\"id\":{\"N\":\"" + n + "\"},\"note\":{\"S\":\"r" + n + " {not a brace} \\\"q\\\"\"}},"
                + "\"SizeBytes\":40},\"eventSource\":\"aws:dynamodb\"}";
    }

    public static byte[] join(List<String> records, Delimiter delimiter) {
        StringBuilder sb = new StringBuilder();
        for (String r : records) {
            sb.append(r);
            if (delimiter == Delimiter.NEWLINE) {
                sb.append('\n');
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] encode(byte[] bytes, boolean gzip) {
        return gzip ? gzip(bytes) : bytes;
    }
}
