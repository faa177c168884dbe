package io.lakehose.replay;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** The stream's side of a replay: its shards (closed parents included) and reads of one shard. */
public final class StreamShards {

    private final KinesisAsyncClient kinesis;
    private final String stream;

    /** @param stream the stream's name or ARN (kinesis.stream) */
    public StreamShards(KinesisAsyncClient kinesis, String stream) {
        this.kinesis = kinesis;
        this.stream = stream;
    }

    /** Every shard the stream still holds records of: open ones and closed parents within retention. */
    public List<ShardInfo> list() {
        List<ShardInfo> shards = new ArrayList<>();
        ListShardsResponse page = call(() -> kinesis.listShards(this::identify).join());
        page.shards().forEach(s -> shards.add(toInfo(s)));
        while (page.nextToken() != null) {
            String token = page.nextToken();
            // With a NextToken, ListShards refuses the stream's name.
            page = call(() -> kinesis.listShards(b -> b.nextToken(token)).join());
            page.shards().forEach(s -> shards.add(toInfo(s)));
        }
        return shards;
    }

    /**
     * Checks with Kinesis itself that {@code sequenceNumber} is a position of {@code shard}
     * (GetShardIterator refuses a sequence number of another shard).
     */
    public void checkSequence(ShardInfo shard, String sequenceNumber) {
        try {
            kinesis.getShardIterator(b -> request(b, shard).shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .startingSequenceNumber(sequenceNumber)).join();
        } catch (CompletionException e) {
            // Kinesis answers InvalidArgumentException; kinesis-mock (the emulator) ResourceNotFoundException.
            if (e.getCause() instanceof InvalidArgumentException || e.getCause() instanceof ResourceNotFoundException) {
                throw new ReplayException(ReplayException.Kind.USAGE, "sequence number " + sequenceNumber
                        + " is not a position of " + shard.shardId() + " (Kinesis: "
                        + ((AwsServiceException) e.getCause()).awsErrorDetails().errorMessage() + ")");
            }
            throw e;
        }
    }

    /** An iterator at the first record that arrived at or after {@code instant} (the oldest record if earlier). */
    String iteratorAt(ShardInfo shard, Instant instant) {
        return iterator(shard, b -> b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(instant));
    }

    String iteratorAtTrimHorizon(ShardInfo shard) {
        return iterator(shard, b -> b.shardIteratorType(ShardIteratorType.TRIM_HORIZON));
    }

    GetRecordsResponse read(String iterator) {
        return call(() -> kinesis.getRecords(b -> b.shardIterator(iterator).limit(10_000)).join());
    }

    private String iterator(ShardInfo shard, Consumer<GetShardIteratorRequest.Builder> position) {
        return call(() -> kinesis.getShardIterator(b -> position.accept(request(b, shard))).join()).shardIterator();
    }

    private GetShardIteratorRequest.Builder request(GetShardIteratorRequest.Builder b, ShardInfo shard) {
        return (stream.startsWith("arn:") ? b.streamARN(stream) : b.streamName(stream)).shardId(shard.shardId());
    }

    private void identify(ListShardsRequest.Builder b) {
        if (stream.startsWith("arn:")) {
            b.streamARN(stream);
        } else {
            b.streamName(stream);
        }
    }

    private static ShardInfo toInfo(Shard s) {
        List<String> parents = new ArrayList<>();
        if (s.parentShardId() != null) {
            parents.add(s.parentShardId());
        }
        if (s.adjacentParentShardId() != null) {
            parents.add(s.adjacentParentShardId());
        }
        return new ShardInfo(s.shardId(), List.copyOf(parents), s.hashKeyRange().startingHashKey(),
                s.hashKeyRange().endingHashKey(), s.sequenceNumberRange().startingSequenceNumber(),
                s.sequenceNumberRange().endingSequenceNumber());
    }

    private <T> T call(Supplier<T> request) {
        try {
            return request.get();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ResourceNotFoundException) {
                throw new ReplayException(ReplayException.Kind.USAGE, "stream " + stream + " not found (kinesis.stream): "
                        + ((ResourceNotFoundException) cause).awsErrorDetails().errorMessage());
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
