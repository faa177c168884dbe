package io.lakehose.preflight;

import io.lakehose.preflight.CheckResult.Fix;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

import java.util.ArrayList;
import java.util.List;

/**
 * Describe and read the stream the way the worker does: DescribeStreamSummary, ListShards (KCL's
 * shard discovery), GetShardIterator (LATEST, so nothing old is read) and one GetRecords of at most
 * one record on the first shard. Reads only; a record read is not consumed (Kinesis has no acks).
 */
final class StreamCheck {

    static final String NAME = "stream";

    private final KinesisClient kinesis;
    private final String stream;
    private final String region;

    /** @param stream name or ARN, as kinesis.stream */
    StreamCheck(KinesisClient kinesis, String stream, String region) {
        this.kinesis = kinesis;
        this.stream = stream;
        this.region = region;
    }

    CheckResult run() {
        boolean byArn = stream.startsWith("arn:");
        String arn = byArn ? stream
                : "arn:" + Policies.partition(region) + ":kinesis:" + region + ":" + Policies.ACCOUNT + ":stream/" + stream;
        StreamDescriptionSummary summary = null;
        try {
            DescribeStreamSummaryResponse described = Refused.call("kinesis:DescribeStreamSummary", arn,
                    () -> kinesis.describeStreamSummary(b -> {
                        if (byArn) {
                            b.streamARN(stream);
                        } else {
                            b.streamName(stream);
                        }
                    }));
            summary = described.streamDescriptionSummary();
            String streamArn = summary.streamARN() == null ? arn : summary.streamARN();
            var shards = Refused.call("kinesis:ListShards", streamArn, () -> kinesis.listShards(b -> {
                if (byArn) {
                    b.streamARN(stream);
                } else {
                    b.streamName(stream);
                }
                b.maxResults(1);
            })).shards();
            if (shards.isEmpty()) {
                return CheckResult.fail(NAME, new CheckResult.Failure("", streamArn, "NoShards", "",
                        "ListShards returned no shard, so reading could not be tried (is the stream still being created?).",
                        List.of()));
            }
            String shardId = shards.get(0).shardId();
            String iterator = Refused.call("kinesis:GetShardIterator", streamArn, () -> kinesis.getShardIterator(b -> {
                if (byArn) {
                    b.streamARN(stream);
                } else {
                    b.streamName(stream);
                }
                b.shardId(shardId).shardIteratorType(ShardIteratorType.LATEST);
            })).shardIterator();
            Refused.call("kinesis:GetRecords", streamArn, () -> kinesis.getRecords(b -> b.shardIterator(iterator).limit(1)));
            return CheckResult.pass(NAME, "kinesis stream " + streamArn + " (" + summary.streamStatusAsString() + ", "
                    + summary.openShardCount() + " open shards): DescribeStreamSummary, ListShards, "
                    + "GetShardIterator and GetRecords on " + shardId);
        } catch (Refused r) {
            return CheckResult.fail(NAME, explain(r, summary));
        }
    }

    private CheckResult.Failure explain(Refused r, StreamDescriptionSummary summary) {
        String streamArn = r.resource;
        boolean encrypted = summary != null && summary.encryptionType() == EncryptionType.KMS && summary.keyId() != null;
        if (r.action.equals("kinesis:GetRecords") && (r.code.startsWith("KMS") || encrypted && r.denied())) {
            // A stream encrypted with a customer key: GetRecords needs kms:Decrypt on it through Kinesis.
            String key = summary == null || summary.keyId() == null ? "<ARN of the stream's key>" : summary.keyId();
            List<Fix> fixes = new ArrayList<>();
            if (!key.startsWith("alias/aws/")) { // the AWS managed key needs no grant
                fixes.add(new Fix("IAM policy of the role lakehose runs as", Policies.decryptStreamRecords(key, region)));
            }
            return r.failure("the stream is encrypted with KMS key " + key + " and reading it needs kms:Decrypt on "
                    + "that key through Kinesis (" + r.code + "); the key's policy must allow it too if the key is in "
                    + "another account.", fixes);
        }
        return r.failure("the role lakehose runs as may not call " + r.action + " on " + streamArn + "; KCL needs "
                        + "DescribeStreamSummary, ListShards, GetShardIterator and GetRecords on the stream.",
                List.of(new Fix("IAM policy of the role lakehose runs as", Policies.readStream(streamArn))),
                other -> other.is("ResourceNotFoundException")
                        ? "no stream '" + stream + "' in region " + region + " for this account (not a permission "
                        + "problem): check kinesis.stream, kinesis.region and kinesis.endpoint."
                        : null);
    }
}
