package io.lakehose.preflight;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A HAND-WRITTEN FAKE of AWS STS AssumeRole, not an emulator (none runs here): the query protocol
 * (form-encoded POST, {@code Action=AssumeRole}) answered with the documented XML shapes. It checks
 * no signature and no policy: a role ARN it was given, with the external id it was given (if any),
 * is assumed; anything else gets 403 AccessDenied, as STS answers both a missing sts:AssumeRole
 * permission and a trust policy that does not trust the caller. The credentials it hands out are
 * whatever the test gives (e.g. the emulators' dummy identity, so S3Proxy accepts them).
 */
final class FakeSts extends FakeAwsServer<FakeSts.Call> {

    /** One AssumeRole received. */
    record Call(String roleArn, String sessionName, String externalId) {
    }

    private final Map<String, Optional<String>> roles;
    private final String accessKeyId;
    private final String secretKey;

    private FakeSts(Map<String, Optional<String>> roles, String accessKeyId, String secretKey) throws IOException {
        this.roles = roles;
        this.accessKeyId = accessKeyId;
        this.secretKey = secretKey;
    }

    /** @param roles role ARN -> the external id its trust policy requires (empty: none) */
    static FakeSts start(Map<String, Optional<String>> roles, String accessKeyId, String secretKey) throws IOException {
        FakeSts sts = new FakeSts(Map.copyOf(roles), accessKeyId, secretKey);
        sts.serve();
        return sts;
    }

    @Override
    void handle(HttpExchange exchange) throws IOException {
        Map<String, String> form = new HashMap<>();
        for (String pair : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            String[] kv = pair.split("=", 2);
            form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        String role = form.get("RoleArn");
        received(new Call(role, form.get("RoleSessionName"), form.get("ExternalId")));
        Optional<String> required = roles.get(role);
        if (!"AssumeRole".equals(form.get("Action")) || required == null
                || required.isPresent() && !required.get().equals(form.get("ExternalId"))) {
            respond(exchange, 403, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                    + "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::000000000000:"
                    + "assumed-role/task/x is not authorized to perform: sts:AssumeRole on resource: " + role
                    + "</Message></Error><RequestId>fake-sts</RequestId></ErrorResponse>");
            return;
        }
        respond(exchange, 200, "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                + "<AssumeRoleResult><Credentials><AccessKeyId>" + accessKeyId + "</AccessKeyId>"
                + "<SecretAccessKey>" + secretKey + "</SecretAccessKey><SessionToken>fakesessiontoken</SessionToken>"
                + "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>"
                + "<AssumedRoleId>AROAFAKE:" + form.get("RoleSessionName") + "</AssumedRoleId><Arn>"
                + role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"
                + form.get("RoleSessionName") + "</Arn></AssumedRoleUser></AssumeRoleResult>"
                + "<ResponseMetadata><RequestId>fake-sts</RequestId></ResponseMetadata></AssumeRoleResponse>");
    }

    private static void respond(HttpExchange exchange, int status, String xml) throws IOException {
        respond(exchange, status, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
    }
}
