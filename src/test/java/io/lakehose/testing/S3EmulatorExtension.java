package io.lakehose.testing;

import io.lakehose.sink.KmsKeyId;
import io.lakehose.sink.S3Settings;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.util.Optional;

/**
 * One S3 emulator (S3Proxy) for a test class: {@code @RegisterExtension static final
 * S3EmulatorExtension s3 = new S3EmulatorExtension();}, started before the first test and stopped
 * after the last.
 */
public final class S3EmulatorExtension implements BeforeAllCallback, AfterAllCallback {

    private S3Emulator emulator;

    @Override
    public void beforeAll(ExtensionContext context) {
        emulator = S3Emulator.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (emulator != null) {
            emulator.close();
        }
    }

    public URI endpoint() {
        return emulator.endpoint();
    }

    public String bucket() {
        return emulator.bucket();
    }

    public S3Client client() {
        return emulator.client();
    }

    public S3Settings settings(Optional<KmsKeyId> kmsKey) {
        return emulator.settings(kmsKey);
    }
}
