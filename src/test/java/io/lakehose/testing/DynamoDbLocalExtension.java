package io.lakehose.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

import java.net.URI;

/**
 * One DynamoDB Local for a test class: {@code @RegisterExtension static final
 * DynamoDbLocalExtension ddb = new DynamoDbLocalExtension();}, started before the class's first
 * test (and its {@code @BeforeAll} methods) and stopped after the last. For the whole local stack
 * see {@link LocalStackExtension}.
 */
public final class DynamoDbLocalExtension implements BeforeAllCallback, AfterAllCallback {

    private DynamoDbLocal dynamoDb;

    @Override
    public void beforeAll(ExtensionContext context) {
        dynamoDb = DynamoDbLocal.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (dynamoDb != null) {
            dynamoDb.close();
        }
    }

    public URI endpoint() {
        return dynamoDb.endpoint();
    }

    public DynamoDbAsyncClient client() {
        return dynamoDb.client();
    }
}
