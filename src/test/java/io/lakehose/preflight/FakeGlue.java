package io.lakehose.preflight;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A Glue endpoint that refuses every call as IAM would, for a role without Glue permissions. No
 * Glue emulator runs here, so this hand-written fake is what shows that preflight names the
 * refused action and the statement to add; a Glue catalog that works is not tested here.
 */
final class FakeGlue extends FakeAwsServer<String> {

    private FakeGlue() throws IOException {
    }

    static FakeGlue refusingAll() throws IOException {
        FakeGlue glue = new FakeGlue();
        glue.serve();
        return glue;
    }

    @Override
    void handle(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target"); // "AWSGlue.GetDatabases"
        String operation = target == null ? "?" : target.substring(target.indexOf('.') + 1);
        received(operation);
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("x-amzn-ErrorType", "AccessDeniedException");
        String body = "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:sts::111122223333:assumed-role/"
                + "lakehose-task/1 is not authorized to perform: glue:" + operation + " on resource: "
                + "arn:aws:glue:us-east-1:111122223333:catalog\"}";
        respond(exchange, 400, "application/x-amz-json-1.1", body.getBytes(StandardCharsets.UTF_8));
    }
}
