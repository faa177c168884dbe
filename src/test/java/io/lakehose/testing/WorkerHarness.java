package io.lakehose.testing;

import io.lakehose.config.ConfigKeys;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.kcl.KinesisWorker;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * What worker tests share on top of {@link LocalAwsStack}: a stream with a seeded lease table,
 * the worker configuration pointing at the emulators (as a map for in-process workers and as a
 * YAML file for worker processes), change records to put, and the lake read back.
 */
public final class WorkerHarness {

    public static final String KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    private final LocalAwsStack stack;
    private final String stream;
    private final String application;

    public WorkerHarness(LocalAwsStack stack, String stream, int shards) {
        this.stack = stack;
        this.stream = stream;
        this.application = "lakehose-" + stream;
        stack.kinesis().createStream(stream, shards);
        LeaseTableSeeder.seed(stack.dynamoDb().client(), application, stack.kinesis().client(), stream,
                LeaseTableSeeder.StartAt.TRIM_HORIZON);
    }

    public String stream() {
        return stream;
    }

    public String application() {
        return application;
    }

    /** Configuration for a worker on this stream; {@code extra} overrides (key path -> value). */
    public Map<String, String> config(Map<String, String> extra) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("lake.uri", "s3://" + stack.s3().bucket() + "/" + stream);
        c.put("lake.errorPrefix", stream + "-errors");
        c.put("s3.endpoint", stack.s3().endpoint().toString());
        c.put("s3.pathStyleAccess", "true");
        c.put("s3.kmsKeyId", KMS_KEY);
        c.put("s3.maxAttempts", "5");
        c.put("kinesis.stream", stream);
        c.put("kinesis.region", "us-east-1");
        c.put("kinesis.endpoint", stack.kinesis().endpoint().toString());
        c.put("kinesis.leaseTableEndpoint", stack.dynamoDb().endpoint().toString());
        c.put("kinesis.applicationName", application);
        c.put("kinesis.idleTimeBetweenReadsMillis", "200");
        c.put("kinesis.maxRecords", "1000");
        c.put("kinesis.failoverTimeMillis", "3000");
        c.put("kinesis.shardSyncIntervalMillis", "1000");
        c.put("kinesis.checkpointIntervalSeconds", "1");
        c.put("kinesis.shutdownBudgetSeconds", "20");
        c.put("buffer.maxAgeSeconds", "3");
        c.put("buffer.maxRecords", "1500");
        c.put("http.port", "0"); // off: several workers share this host; the metrics test picks a port
        c.putAll(extra);
        return c;
    }

    public LakehoseConfig loadConfig(Map<String, String> extra) throws Exception {
        return ConfigLoader.load(null, Map.of(), config(extra));
    }

    /**
     * The configuration as a YAML file for a worker process (`run --config`): every dot of a key
     * nests a mapping, so {@code iceberg.catalog.uri} becomes {@code iceberg: {catalog: {uri: ...}}}
     * (a catalog property keeps its own dots: {@code iceberg.catalog.s3.endpoint}).
     */
    public Path writeConfig(Path file, Map<String, String> extra) {
        Map<String, Object> tree = new LinkedHashMap<>();
        config(extra).forEach((k, v) -> {
            // iceberg.catalog is a free-form map whose property names have dots of their own
            String catalog = ConfigKeys.ICEBERG_CATALOG_SECTION + ".";
            String[] parts = k.startsWith(catalog)
                    ? new String[] {"iceberg", "catalog", k.substring(catalog.length())}
                    : k.split("\\.");
            Map<String, Object> node = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                node = mapping(node.computeIfAbsent(parts[i], s -> new LinkedHashMap<String, Object>()), k);
            }
            node.put(parts[parts.length - 1], v);
        });
        StringBuilder yaml = new StringBuilder();
        appendYaml(yaml, tree, "");
        try {
            return Files.writeString(file, yaml.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapping(Object node, String key) {
        if (!(node instanceof Map)) {
            throw new IllegalArgumentException("configuration key " + key + " nests under a key that has a value");
        }
        return (Map<String, Object>) node;
    }

    private static void appendYaml(StringBuilder yaml, Map<String, Object> node, String indent) {
        node.forEach((k, v) -> {
            if (v instanceof Map) {
                yaml.append(indent).append(k).append(":\n");
                appendYaml(yaml, mapping(v, k), indent + "  ");
            } else {
                yaml.append(indent).append(k).append(": \"").append(v).append("\"\n");
            }
        });
    }

    /** Environment for a worker process: the emulators' dummy credentials, nothing real. */
    public static Map<String, String> processEnvironment() {
        return Map.of("AWS_ACCESS_KEY_ID", EmulatorAccess.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmulatorAccess.SECRET_KEY,
                "AWS_REGION", "us-east-1", "LAKEHOSE_LOG_LEVEL", "INFO");
    }

    /** A DynamoDB change record in the Kinesis integration's JSON, for item {@code id}. */
    public static byte[] change(long id, Instant eventTime) {
        return change(id, eventTime, "orders");
    }

    /** A change record of item {@code id} of DynamoDB table {@code tableName}. */
    public static byte[] change(long id, Instant eventTime, String tableName) {
        return change(id, id, id % 3 == 0 ? "INSERT" : id % 3 == 1 ? "MODIFY" : "REMOVE", eventTime, tableName);
    }

    /**
     * Change {@code id} (its event id "evt-id") of item {@code key}: an INSERT, a MODIFY or a
     * REMOVE (which has no new image), so a test can change one item many times.
     */
    public static byte[] change(long id, long key, String eventName, Instant eventTime, String tableName) {
        boolean remove = eventName.equals("REMOVE");
        String json = "{\"awsRegion\":\"us-east-1\",\"eventID\":\"evt-" + id + "\",\"eventName\":\""
                + eventName + "\",\"userIdentity\":null,"
                + "\"recordFormat\":\"application/json\",\"tableName\":\"" + tableName + "\",\"dynamodb\":{"
                + "\"ApproximateCreationDateTime\":" + eventTime.toEpochMilli() + ","
                + "\"ApproximateCreationDateTimePrecision\":\"MILLISECOND\","
                + "\"Keys\":{\"id\":{\"N\":\"" + key + "\"}},"
                + (remove ? "" : "\"NewImage\":{\"id\":{\"N\":\"" + key + "\"},\"status\":{\"S\":\"s" + (id % 7)
                + "\"},\"amount\":{\"N\":\"" + id + ".25\"}},")
                + "\"SizeBytes\":42},\"eventSource\":\"aws:dynamodb\"}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** Puts records and returns, for each, "shardId/sequenceNumber". */
    public List<String> put(List<byte[]> records) {
        List<PutRecordsResultEntry> results = stack.kinesis().putRecords(stream, records);
        return results.stream().map(r -> r.shardId() + "/" + r.sequenceNumber()).toList();
    }

    /** The highest sequence number put per shard. */
    public static Map<String, String> lastSequenceByShard(List<String> put) {
        Map<String, String> last = new HashMap<>();
        for (String p : put) {
            String[] parts = p.split("/");
            last.merge(parts[0], parts[1], (a, b) -> new BigInteger(a).compareTo(new BigInteger(b)) >= 0 ? a : b);
        }
        return last;
    }

    /** Checkpoint per shard from the lease table. */
    public Map<String, String> checkpoints() {
        Map<String, Map<String, AttributeValue>> leases = LeaseTableSeeder.leases(stack.dynamoDb().client(), application);
        return leases.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get("checkpoint").s()));
    }

    /** Shard id to leaseOwner from the lease table (shards without an owner left out). */
    public Map<String, String> leaseOwners() {
        Map<String, String> owners = new TreeMap<>();
        LeaseTableSeeder.leases(stack.dynamoDb().client(), application).forEach((shard, item) -> {
            AttributeValue owner = item.get("leaseOwner");
            if (owner != null && owner.s() != null) {
                owners.put(shard, owner.s());
            }
        });
        return owners;
    }

    /** The keys of this stream's lake and error objects now (S3Proxy lists a PUT in progress too). */
    public Set<String> objectKeys() {
        Set<String> keys = new TreeSet<>();
        for (String prefix : List.of(stream + "/", stream + "-errors/")) {
            for (S3Object o : stack.s3().client().listObjectsV2Paginator(b -> b.bucket(stack.s3().bucket()).prefix(prefix))
                    .contents()) {
                keys.add(o.key());
            }
        }
        return keys;
    }

    /** Every object of this stream's lake and errors, downloaded under {@code dir}; returns the keys. */
    public List<String> download(Path dir) {
        List<String> keys = new ArrayList<>();
        for (String prefix : List.of(stream + "/", stream + "-errors/")) {
            for (S3Object o : stack.s3().client().listObjectsV2Paginator(b -> b.bucket(stack.s3().bucket()).prefix(prefix))
                    .contents()) {
                Path target = dir.resolve(o.key());
                try {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                try {
                    stack.s3().client().getObject(b -> b.bucket(stack.s3().bucket()).key(o.key()), target);
                } catch (NoSuchKeyException e) {
                    // Listed, then gone: S3Proxy's in-memory store can list an object that a
                    // concurrent write is replacing (seen once while polling a running worker).
                    // Lake objects are never deleted, so a later poll sees it.
                    continue;
                }
                keys.add(o.key());
            }
        }
        return keys;
    }

    /** "shardId/sequenceNumber" of every row in the downloaded lake (duplicates kept). */
    public List<String> rows(Path dir) {
        Path lake = dir.resolve(stream);
        if (DuckDbLake.parquetFiles(dir).isEmpty() || !Files.isDirectory(lake)) {
            return List.of();
        }
        try (DuckDbLake db = DuckDbLake.open()) {
            return db.query("SELECT shard_id || '/' || sequence_number AS r FROM " + DuckDbLake.lake(lake))
                    .stream().map(m -> (String) m.get("r")).toList();
        }
    }

    /** Runs an in-process worker on another thread; the future holds its exit code. */
    public static CompletableFuture<Integer> runAsync(KinesisWorker worker) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return worker.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Rows currently in the lake (downloads it to a temp directory, deleted afterwards). */
    public List<String> rowsNow() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("lake-");
            download(dir);
            return rows(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) {
                try (var files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            }
        }
    }
}
