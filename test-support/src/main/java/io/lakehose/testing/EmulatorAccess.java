package io.lakehose.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.regions.Region;

import java.net.URI;

/**
 * The one dummy identity and region of every emulator (kinesis-local, DynamoDB Local, S3Proxy),
 * and SDK clients configured for them. Never a real credential.
 */
public final class EmulatorAccess {

    /**
     * Letters and digits only: DynamoDB Local 2.x refuses access key ids with anything else ("The
     * Access Key ID or security token is invalid"). kinesis-mock checks that requests are signed,
     * not by whom; S3Proxy checks this identity.
     */
    public static final String ACCESS_KEY = "lakehosetest";
    public static final String SECRET_KEY = "lakehosetestsecret";
    public static final String REGION = "us-east-1";

    private EmulatorAccess() {
    }

    /** Makes the dummy identity the default chain's (system properties), for clients the code under test builds. */
    public static void installAsDefaultCredentials() {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** {@code builder} pointed at an emulator: its endpoint, the dummy identity, {@link #REGION}. */
    public static <B extends AwsClientBuilder<B, ?>> B configure(B builder, URI endpoint) {
        return builder.endpointOverride(endpoint).region(Region.of(REGION)).credentialsProvider(credentials());
    }
}
