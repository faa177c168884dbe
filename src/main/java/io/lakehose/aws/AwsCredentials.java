package io.lakehose.aws;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

import java.util.Optional;

/**
 * Credentials for AWS clients: the SDK's default chain (environment, web identity, profile, ECS
 * task role, instance profile), or a role assumed with them. Nothing is configured or logged
 * here but role ARNs. Close the provider with the client that uses it.
 */
public final class AwsCredentials {

    private AwsCredentials() {
    }

    /** The default chain, or {@code role} assumed through it when present. */
    public static AwsCredentialsProvider provider(Optional<AssumedRole> role) {
        return role.<AwsCredentialsProvider>map(AwsCredentials::assume)
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
    }

    private static AwsCredentialsProvider assume(AssumedRole role) {
        StsClientBuilder sts = StsClient.builder()
                .region(Region.of(role.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build());
        role.stsEndpoint().ifPresent(sts::endpointOverride);
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts.build())
                .refreshRequest(r -> {
                    r.roleArn(role.roleArn()).roleSessionName(AssumedRole.SESSION_NAME);
                    role.externalId().ifPresent(r::externalId);
                })
                // Fetch on first use, not at construction: preflight reports a failed AssumeRole itself.
                .asyncCredentialUpdateEnabled(false)
                .build();
    }
}
