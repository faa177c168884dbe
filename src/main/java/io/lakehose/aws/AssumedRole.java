package io.lakehose.aws;

import java.net.URI;
import java.util.Optional;

/**
 * A role to assume for one side of the service, e.g. writing a lake bucket that lives in another
 * account. The caller's own credentials (the default chain: the ECS task role in production)
 * call sts:AssumeRole; the temporary credentials are refreshed before they expire.
 *
 * @param roleArn     the role to assume
 * @param externalId  the external id the role's trust policy requires, if any
 * @param region      region of the STS endpoint (regional endpoints, never the global one)
 * @param stsEndpoint endpoint override (VPC endpoints, tests)
 */
public record AssumedRole(String roleArn, Optional<String> externalId, String region, Optional<URI> stsEndpoint) {

    /** The session name CloudTrail shows for calls made with the role. */
    public static final String SESSION_NAME = "lakehose";
}
