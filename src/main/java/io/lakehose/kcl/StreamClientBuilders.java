package io.lakehose.kcl;

import io.lakehose.config.KinesisSettings;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

/** Client builders for the stream and the lease table of the kinesis.* settings (region, endpoints). */
public final class StreamClientBuilders {

    private StreamClientBuilders() {
    }

    public static KinesisAsyncClientBuilder kinesis(KinesisSettings k) {
        KinesisAsyncClientBuilder b = KinesisAsyncClient.builder().region(Region.of(k.region()));
        k.endpoint().ifPresent(b::endpointOverride);
        return b;
    }

    public static DynamoDbAsyncClientBuilder leaseTable(KinesisSettings k) {
        DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder().region(Region.of(k.region()));
        k.leaseTableEndpoint().ifPresent(b::endpointOverride);
        return b;
    }
}
