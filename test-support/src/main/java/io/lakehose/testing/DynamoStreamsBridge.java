package io.lakehose.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Plays the part of DynamoDB's "Kinesis Data Streams for DynamoDB" integration on the local
 * stack: reads a DynamoDB Local table's stream and puts every change on a Kinesis stream as the
 * JSON the real integration writes (docs/design.md, "Input"). Test and demo infrastructure only.
 *
 * <p>It runs for hours without help: an expired shard iterator (15 minutes unread, a laptop
 * asleep) is replaced by one after the last record read; a "trimmed" one (on DynamoDB Local, any
 * write to another table moves the sequence numbers past an idle shard's iterator, see
 * {@link DynamoDbLocal}) by one at the shard's oldest record, skipping what was already
 * forwarded; shards that appear later (DynamoDB Local rolls them over every 4 hours) are read
 * from their start, each after its parent, so a key's changes stay in order.
 */
public final class DynamoStreamsBridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamoStreamsBridge.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** Pause when no shard had anything new: the bridge polls the stream as the real integration does. */
    private static final long IDLE_PAUSE_MILLIS = 200;
    /** Pause after a failed poll (an emulator busy or restarting) before the next try. */
    private static final long RETRY_PAUSE_MILLIS = 1000;

    private final DynamoDbStreamsClient streams;
    private final KinesisClient kinesis;
    private final String streamArn;
    private final String tableName;
    private final String kinesisStream;
    private final String region;
    /** Shards being read, by id. */
    private final Map<String, BridgedShard> open = new ConcurrentHashMap<>();
    private final Set<String> finishedShards = ConcurrentHashMap.newKeySet();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong renewedIterators = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public DynamoStreamsBridge(DynamoDbStreamsClient streams, KinesisClient kinesis, String streamArn, String tableName,
                               String kinesisStream, String region) {
        this.streams = streams;
        this.kinesis = kinesis;
        this.streamArn = streamArn;
        this.tableName = tableName;
        this.kinesisStream = kinesisStream;
        this.region = region;
        this.thread = new Thread(this::loop, "dynamodb-streams-bridge");
        thread.setDaemon(true);
    }

    public DynamoStreamsBridge start() {
        thread.start();
        return this;
    }

    /**
     * Starts forwarding only changes made from now on: the shards open now are read from LATEST
     * (as when the Kinesis destination is enabled on a table that already has items), shards
     * that appear later from their start.
     */
    public DynamoStreamsBridge startAtLatest() {
        for (Shard s : describeShards()) {
            if (s.sequenceNumberRange() != null && s.sequenceNumberRange().endingSequenceNumber() != null) {
                finishedShards.add(s.shardId());
            } else {
                BridgedShard shard = new BridgedShard(s.shardId(), s.parentShardId(), ShardIteratorType.LATEST);
                shard.iterator = newIterator(shard, ShardIteratorType.LATEST, null);
                open.put(s.shardId(), shard);
            }
        }
        return start();
    }

    /** Changes forwarded to Kinesis so far. */
    public long forwarded() {
        return forwarded.get();
    }

    /** Ids of the stream's shards the bridge holds an iterator for (open, not yet read to their end). */
    public Set<String> openShards() {
        return Set.copyOf(open.keySet());
    }

    /** How many expired or trimmed shard iterators the bridge has replaced. */
    public long renewedIterators() {
        return renewedIterators.get();
    }

    private void loop() {
        while (running) {
            try {
                discoverShards();
                boolean any = false;
                for (BridgedShard shard : readableShards()) {
                    any |= poll(shard);
                }
                if (!any) {
                    Thread.sleep(IDLE_PAUSE_MILLIS);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("bridge: {}; retrying", e.toString());
                    try {
                        Thread.sleep(RETRY_PAUSE_MILLIS);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    private List<Shard> describeShards() {
        List<Shard> shards = new ArrayList<>();
        String after = null;
        do {
            String from = after;
            StreamDescription d = streams.describeStream(b -> b.streamArn(streamArn).exclusiveStartShardId(from))
                    .streamDescription();
            shards.addAll(d.shards());
            after = d.lastEvaluatedShardId();
        } while (after != null);
        return shards;
    }

    private void discoverShards() {
        for (Shard s : describeShards()) {
            if (!open.containsKey(s.shardId()) && !finishedShards.contains(s.shardId())) {
                BridgedShard shard = new BridgedShard(s.shardId(), s.parentShardId(), ShardIteratorType.TRIM_HORIZON);
                shard.iterator = newIterator(shard, ShardIteratorType.TRIM_HORIZON, null);
                open.put(s.shardId(), shard);
            }
        }
    }

    /**
     * Open shards whose parent is read to its end (or was never ours), so that a key's changes stay
     * in order; by id, which on DynamoDB Local begins with the shard's creation time.
     */
    private List<BridgedShard> readableShards() {
        return open.values().stream()
                .filter(s -> s.parentShardId == null || !open.containsKey(s.parentShardId))
                .sorted(Comparator.comparing(s -> s.shardId))
                .toList();
    }

    private boolean poll(BridgedShard shard) {
        GetRecordsResponse r;
        try {
            r = streams.getRecords(b -> b.shardIterator(shard.iterator).limit(1000));
        } catch (ExpiredIteratorException e) {
            // Nothing lost: carry on after the last record read (or from where the shard was started).
            LOG.debug("bridge: shard {}: iterator expired; resuming after {}", shard.shardId, shard.lastSequenceNumber);
            shard.iterator = shard.lastSequenceNumber == null ? newIterator(shard, shard.startedAt, null)
                    : newIterator(shard, ShardIteratorType.AFTER_SEQUENCE_NUMBER, shard.lastSequenceNumber);
            renewedIterators.incrementAndGet();
            return false;
        } catch (TrimmedDataAccessException e) {
            // The oldest record still held is the next one to forward; records already forwarded are skipped.
            LOG.debug("bridge: shard {}: iterator trimmed; reading again from the oldest record", shard.shardId);
            shard.iterator = newIterator(shard, ShardIteratorType.TRIM_HORIZON, null);
            renewedIterators.incrementAndGet();
            return false;
        } catch (ResourceNotFoundException e) {
            // Past the shard's lifetime (24 hours after it closed): nothing left to read.
            finish(shard);
            return false;
        }
        if (r.nextShardIterator() == null) {
            finish(shard);
        } else {
            shard.iterator = r.nextShardIterator();
        }
        List<Record> fresh = r.records().stream().filter(shard::isAfterLastRead).toList();
        if (fresh.isEmpty()) {
            return false;
        }
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (Record rec : fresh) {
            entries.add(PutRecordsRequestEntry.builder()
                    .partitionKey(partitionKey(rec.dynamodb().keys()))
                    .data(SdkBytes.fromByteArray(toKinesisJson(rec, tableName, region)))
                    .build());
        }
        // Keep the order of the DynamoDB stream: put in chunks and retry only the failed entries in order.
        for (int i = 0; i < entries.size(); i += 500) {
            List<PutRecordsRequestEntry> chunk = entries.subList(i, Math.min(entries.size(), i + 500));
            putAll(chunk);
        }
        shard.lastSequenceNumber = fresh.get(fresh.size() - 1).dynamodb().sequenceNumber();
        forwarded.addAndGet(entries.size());
        return true;
    }

    private String newIterator(BridgedShard shard, ShardIteratorType type, String sequenceNumber) {
        try {
            return streams.getShardIterator(b -> b.streamArn(streamArn).shardId(shard.shardId)
                    .shardIteratorType(type).sequenceNumber(sequenceNumber)).shardIterator();
        } catch (TrimmedDataAccessException e) {
            // The records after the last one read are gone (AWS keeps 24 hours): the oldest left is next.
            LOG.warn("bridge: shard {}: records after {} were trimmed before they were read", shard.shardId, sequenceNumber);
            return newIterator(shard, ShardIteratorType.TRIM_HORIZON, null);
        }
    }

    private void finish(BridgedShard shard) {
        open.remove(shard.shardId);
        finishedShards.add(shard.shardId);
    }

    /** One shard of the DynamoDB stream: where the bridge reads it and what it forwarded last. */
    private static final class BridgedShard {
        final String shardId;
        final String parentShardId;
        /** Where reading started, to start there again if the iterator expires before any record. */
        final ShardIteratorType startedAt;
        String iterator;
        String lastSequenceNumber;

        BridgedShard(String shardId, String parentShardId, ShardIteratorType startedAt) {
            this.shardId = shardId;
            this.parentShardId = parentShardId;
            this.startedAt = startedAt;
        }

        /** Sequence numbers are decimal strings of up to 40 digits: compared as numbers. */
        boolean isAfterLastRead(Record rec) {
            return lastSequenceNumber == null || new BigInteger(rec.dynamodb().sequenceNumber())
                    .compareTo(new BigInteger(lastSequenceNumber)) > 0;
        }
    }

    private void putAll(List<PutRecordsRequestEntry> chunk) {
        List<PutRecordsRequestEntry> pending = chunk;
        while (!pending.isEmpty()) {
            List<PutRecordsRequestEntry> send = pending;
            PutRecordsResponse resp = kinesis.putRecords(b -> b.streamName(kinesisStream).records(send));
            List<PutRecordsRequestEntry> failed = new ArrayList<>();
            for (int i = 0; i < resp.records().size(); i++) {
                if (resp.records().get(i).errorCode() != null) {
                    failed.add(send.get(i));
                }
            }
            pending = failed;
        }
    }

    private static String partitionKey(Map<String, AttributeValue> keys) {
        return Integer.toHexString(new String(itemJson(keys), UTF_8).hashCode());
    }

    /** One DynamoDB Streams record as the JSON the Kinesis integration writes. */
    public static byte[] toKinesisJson(Record rec, String tableName, String region) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        StreamRecord d = rec.dynamodb();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("awsRegion", rec.awsRegion() != null ? rec.awsRegion() : region);
            g.writeStringField("eventID", rec.eventID());
            g.writeStringField("eventName", rec.eventNameAsString());
            Identity id = rec.userIdentity();
            if (id == null) {
                g.writeNullField("userIdentity");
            } else {
                g.writeObjectFieldStart("userIdentity");
                g.writeStringField("type", id.type());
                g.writeStringField("principalId", id.principalId());
                g.writeEndObject();
            }
            g.writeStringField("recordFormat", "application/json");
            g.writeStringField("tableName", tableName);
            g.writeObjectFieldStart("dynamodb");
            // DynamoDB Local rounds ApproximateCreationDateTime down to the minute, where the real
            // Kinesis integration gives milliseconds. A minute-old time would order a change before
            // things that happened earlier in that minute (a backfill's snapshot, say), so the bridge
            // stamps the moment it read the change instead: never earlier than the change, at most a
            // poll later, and in stream order.
            long millis = Math.max(System.currentTimeMillis(), d.approximateCreationDateTime() != null
                    ? d.approximateCreationDateTime().toEpochMilli() : 0);
            g.writeNumberField("ApproximateCreationDateTime", millis);
            g.writeStringField("ApproximateCreationDateTimePrecision", "MILLISECOND");
            writeItem(g, "Keys", d.keys());
            if (d.hasNewImage()) {
                writeItem(g, "NewImage", d.newImage());
            }
            if (d.hasOldImage()) {
                writeItem(g, "OldImage", d.oldImage());
            }
            if (d.sizeBytes() != null) {
                g.writeNumberField("SizeBytes", d.sizeBytes());
            }
            g.writeEndObject();
            g.writeStringField("eventSource", "aws:dynamodb");
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** An attribute map in DynamoDB's typed JSON: {"name": {"S": "x"}, ...}. */
    public static byte[] itemJson(Map<String, AttributeValue> item) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeMap(g, item);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeItem(JsonGenerator g, String field, Map<String, AttributeValue> item) throws IOException {
        g.writeFieldName(field);
        writeMap(g, item);
    }

    private static void writeMap(JsonGenerator g, Map<String, AttributeValue> item) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            g.writeFieldName(e.getKey());
            writeValue(g, e.getValue());
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, AttributeValue v) throws IOException {
        g.writeStartObject();
        switch (v.type()) {
            case S -> g.writeStringField("S", v.s());
            case N -> g.writeStringField("N", v.n());
            case B -> g.writeStringField("B", Base64.getEncoder().encodeToString(v.b().asByteArray()));
            case BOOL -> g.writeBooleanField("BOOL", v.bool());
            case NUL -> g.writeBooleanField("NULL", true);
            case M -> {
                g.writeFieldName("M");
                writeMap(g, v.m());
            }
            case L -> {
                g.writeArrayFieldStart("L");
                for (AttributeValue e : v.l()) {
                    writeValue(g, e);
                }
                g.writeEndArray();
            }
            case SS -> strings(g, "SS", v.ss());
            case NS -> strings(g, "NS", v.ns());
            case BS -> {
                g.writeArrayFieldStart("BS");
                for (SdkBytes b : v.bs()) {
                    g.writeString(Base64.getEncoder().encodeToString(b.asByteArray()));
                }
                g.writeEndArray();
            }
            default -> throw new IllegalArgumentException("unknown attribute type " + v.type());
        }
        g.writeEndObject();
    }

    private static void strings(JsonGenerator g, String tag, List<String> values) throws IOException {
        g.writeArrayFieldStart(tag);
        for (String s : values) {
            g.writeString(s);
        }
        g.writeEndArray();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
