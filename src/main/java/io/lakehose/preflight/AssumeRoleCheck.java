package io.lakehose.preflight;

import io.lakehose.aws.AssumedRole;
import io.lakehose.preflight.CheckResult.Fix;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.Credentials;

import java.util.List;
import java.util.Optional;

/**
 * sts:AssumeRole on s3.roleArn, with the caller's own credentials, as the worker does for every S3
 * call of a cross-account lake. On success the temporary credentials are handed to the lake-bucket
 * and kms-key checks, so those run as the role the worker will write as.
 */
final class AssumeRoleCheck {

    static final String NAME = "assume-role";
    /** Not the worker's session name ("lakehose"), so CloudTrail tells preflight's calls apart. */
    static final String SESSION_NAME = "lakehose-preflight";

    /** The check's result, and the role's credentials when it passed. */
    record Outcome(CheckResult result, Optional<AwsSessionCredentials> credentials) {
    }

    private final StsClient sts;
    private final AssumedRole role;

    AssumeRoleCheck(StsClient sts, AssumedRole role) {
        this.sts = sts;
        this.role = role;
    }

    Outcome run() {
        try {
            AssumeRoleResponse assumed = Refused.call("sts:AssumeRole", role.roleArn(), () -> sts.assumeRole(b -> {
                b.roleArn(role.roleArn()).roleSessionName(SESSION_NAME).durationSeconds(900);
                role.externalId().ifPresent(b::externalId);
            }));
            Credentials c = assumed.credentials();
            String as = assumed.assumedRoleUser() == null ? role.roleArn() : assumed.assumedRoleUser().arn();
            return new Outcome(CheckResult.pass(NAME, "assumed " + role.roleArn() + " as " + as
                    + (role.externalId().isPresent() ? " (with the external id)" : "")
                    + "; the lake-bucket and kms-key checks run with its credentials"),
                    Optional.of(AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken())));
        } catch (Refused r) {
            String partition = Policies.partition(role.region());
            String roleAccount = Policies.accountOf(role.roleArn()).orElse("the role's account");
            return new Outcome(CheckResult.fail(NAME, r.failure("AWS's message names the caller and the role but not "
                            + "which of two policies refused: the IAM policy of the role lakehose runs as must allow "
                            + "sts:AssumeRole on " + role.roleArn() + ", AND the trust policy of that role (in account "
                            + roleAccount + ") must trust lakehose's role"
                            + (role.externalId().isPresent()
                            ? " and require the external id configured in s3.roleExternalId (a different one is refused the same way)."
                            : "; if the trust policy requires an external id, set s3.roleExternalId."),
                    List.of(new Fix("IAM policy of the role lakehose runs as", Policies.assumeLakeWriterRole(role.roleArn())),
                            new Fix("trust policy of " + role.roleArn(), Policies.trustTaskRole(partition, role.externalId()))),
                    other -> null)), Optional.empty());
        }
    }
}
