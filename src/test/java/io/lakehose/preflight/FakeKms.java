package io.lakehose.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A HAND-WRITTEN FAKE of AWS KMS, not an emulator: no KMS emulator runs on these machines (no
 * Docker, no LocalStack), so preflight's KMS check is tested against this. It speaks just enough of
 * the KMS JSON protocol (POST, {@code X-Amz-Target: TrentService.GenerateDataKey} /
 * {@code TrentService.Decrypt}, {@code application/x-amz-json-1.1}) for the SDK's KmsClient, and
 * answers errors as KMS documents them ({@code __type} + {@code message}, HTTP 400). It checks
 * neither signatures nor IAM: a key's {@link Access} decides. Its "ciphertext" is readable JSON
 * binding the key, the encryption context and the plaintext, so Decrypt with another context
 * fails as in KMS (InvalidCiphertextException). What it cannot show: real key policies,
 * kms:ViaService, grants, or the exact wording of AWS's messages.
 */
final class FakeKms extends FakeAwsServer<FakeKms.Call> {

    /** What the fake does with calls on a key. */
    enum Access { ALLOWED, DENIED, DISABLED }

    /** One call received: the target, the key id sent, who signed it (access key id, session token), the context. */
    record Call(String target, String keyId, String accessKeyId, String sessionToken, Map<String, String> context) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/]+)/");

    private final Map<String, Access> keys;
    private final SecureRandom random = new SecureRandom();

    private FakeKms(Map<String, Access> keys) throws IOException {
        this.keys = keys;
    }

    /** @param keys key ARN -> access; any other key id is answered NotFoundException */
    static FakeKms start(Map<String, Access> keys) throws IOException {
        FakeKms kms = new FakeKms(Map.copyOf(keys));
        kms.serve();
        return kms;
    }

    @Override
    void handle(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String keyId = body.path("KeyId").asText(null);
        Map<String, String> context = JSON.convertValue(body.path("EncryptionContext"),
                JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        Matcher m = CREDENTIAL.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        received(new Call(target, keyId, m.find() ? m.group(1) : null,
                exchange.getRequestHeaders().getFirst("X-Amz-Security-Token"), context == null ? Map.of() : context));
        String action = target == null ? "" : target.replace("TrentService.", "");
        switch (action) {
            case "GenerateDataKey" -> generateDataKey(exchange, keyId, context);
            case "Decrypt" -> decrypt(exchange, keyId, body, context);
            default -> error(exchange, "UnsupportedOperationException", "the fake does not implement " + target);
        }
    }

    private void generateDataKey(HttpExchange exchange, String keyId, Map<String, String> context) throws IOException {
        if (!usable(exchange, "GenerateDataKey", keyId)) {
            return;
        }
        byte[] plaintext = new byte[32];
        random.nextBytes(plaintext);
        ObjectNode blob = JSON.createObjectNode().put("key", keyId).put("plaintext", b64(plaintext));
        blob.set("context", JSON.valueToTree(context == null ? Map.of() : context));
        ObjectNode out = JSON.createObjectNode().put("KeyId", keyId).put("Plaintext", b64(plaintext))
                .put("CiphertextBlob", b64(JSON.writeValueAsBytes(blob)));
        respond(exchange, 200, out);
    }

    private void decrypt(HttpExchange exchange, String keyId, JsonNode body, Map<String, String> context) throws IOException {
        JsonNode blob;
        try {
            blob = JSON.readTree(Base64.getDecoder().decode(body.path("CiphertextBlob").asText()));
        } catch (IOException | IllegalArgumentException e) {
            error(exchange, "InvalidCiphertextException", "");
            return;
        }
        String key = blob.path("key").asText();
        if (keyId != null && !keyId.equals(key)) {
            error(exchange, "IncorrectKeyException", "The key ID in the request does not identify the key of the ciphertext");
            return;
        }
        if (!usable(exchange, "Decrypt", key)) {
            return;
        }
        Map<String, String> sealed = JSON.convertValue(blob.path("context"),
                JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
        if (!sealed.equals(context == null ? Map.of() : context)) {
            error(exchange, "InvalidCiphertextException", "");
            return;
        }
        respond(exchange, 200, JSON.createObjectNode().put("KeyId", key)
                .put("Plaintext", blob.path("plaintext").asText()).put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT"));
    }

    private boolean usable(HttpExchange exchange, String action, String keyId) throws IOException {
        Access access = keyId == null ? null : keys.get(keyId);
        if (access == null) {
            error(exchange, "NotFoundException", "Key '" + keyId + "' does not exist");
            return false;
        }
        if (access == Access.DENIED) {
            error(exchange, "AccessDeniedException", "User: arn:aws:sts::000000000000:assumed-role/test/lakehose "
                    + "is not authorized to perform: kms:" + action + " on resource: " + keyId
                    + " because no resource-based policy allows the kms:" + action + " action");
            return false;
        }
        if (access == Access.DISABLED) {
            error(exchange, "DisabledException", keyId + " is disabled.");
            return false;
        }
        return true;
    }

    private static void error(HttpExchange exchange, String type, String message) throws IOException {
        respond(exchange, 400, JSON.createObjectNode().put("__type", type).put("message", message));
    }

    private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-RequestId", "fake-kms");
        respond(exchange, status, "application/x-amz-json-1.1", JSON.writeValueAsBytes(body));
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
