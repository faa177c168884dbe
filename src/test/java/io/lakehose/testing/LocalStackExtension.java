package io.lakehose.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link LocalAwsStack} for a test class: {@code @RegisterExtension static final
 * LocalStackExtension aws = new LocalStackExtension();}, started before the class's first test
 * (and before its {@code @BeforeAll} methods, which may use it) and stopped after the last (after
 * its {@code @AfterAll} methods). Here and not in test-support, which has no JUnit.
 */
public final class LocalStackExtension implements BeforeAllCallback, AfterAllCallback {

    private LocalAwsStack stack;

    @Override
    public void beforeAll(ExtensionContext context) {
        if (stack != null) {
            // one instance shared by subclasses (WorkerProcessTestBase): only one of them at a time
            throw new IllegalStateException("the local AWS stack of this extension already runs for another test class");
        }
        stack = LocalAwsStack.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    /** The running stack; only between the class's first and last test. */
    public LocalAwsStack stack() {
        if (stack == null) {
            throw new IllegalStateException("the local AWS stack runs only while the test class runs "
                    + "(register LocalStackExtension as a static @RegisterExtension field)");
        }
        return stack;
    }

    public KinesisLocal kinesis() {
        return stack().kinesis();
    }

    public DynamoDbLocal dynamoDb() {
        return stack().dynamoDb();
    }

    public S3Emulator s3() {
        return stack().s3();
    }
}
