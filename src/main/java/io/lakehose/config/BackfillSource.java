package io.lakehose.config;

import io.lakehose.aws.AssumedRole;

import java.net.URI;
import java.util.List;
import java.util.Optional;

import static io.lakehose.config.Parsers.url;
import static io.lakehose.config.Parsers.intIn;
import static io.lakehose.config.Parsers.roleArn;
import static io.lakehose.config.Parsers.string;

/**
 * Where `backfill` reads from (the backfill.* keys).
 *
 * @param region of the table (backfill.region, else kinesis.region, else s3.region)
 * @param role   role assumed to read the table and its export, if any
 */
public record BackfillSource(String region, Optional<URI> endpoint, Optional<AssumedRole> role, int maxAttempts) {

    public static final ConfigKey<String> REGION = new ConfigKey<>("backfill.region", "", string(),
            "Region of the table `backfill` reads (and of its export bucket); empty: kinesis.region, else s3.region.");
    public static final ConfigKey<String> ENDPOINT = new ConfigKey<>("backfill.endpoint", "", url(),
            "DynamoDB endpoint override for the table `backfill` reads (emulators, VPC endpoints).");
    public static final ConfigKey<String> ROLE_ARN = new ConfigKey<>("backfill.roleArn", "", roleArn(),
            "Role to assume for reading the source table and its export (the table lives in another account). "
                    + "Writes to the lake use s3.roleArn. Empty: the task's own credentials.");
    public static final ConfigKey<String> ROLE_EXTERNAL_ID = new ConfigKey<>("backfill.roleExternalId", "",
            string(), "External id that backfill.roleArn's trust policy requires, if any.");
    public static final ConfigKey<Integer> MAX_ATTEMPTS = new ConfigKey<>("backfill.maxAttempts", "20",
            intIn(1, 100), "Attempts per Scan page under the SDK's standard retry strategy: throttling "
            + "(ProvisionedThroughputExceeded) waits with exponential backoff instead of failing the backfill.");

    static final Section<BackfillSource> SECTION = new Section<>("backfill",
            List.of(REGION, ENDPOINT, ROLE_ARN, ROLE_EXTERNAL_ID, MAX_ATTEMPTS), v -> {
                String region = v.optional(REGION).or(() -> v.optional(KinesisSettings.REGION))
                        .orElse(v.get(S3Config.REGION));
                return new BackfillSource(region, v.uri(ENDPOINT), S3Config.role(v, ROLE_ARN, ROLE_EXTERNAL_ID, region),
                        v.get(MAX_ATTEMPTS));
            });
}
