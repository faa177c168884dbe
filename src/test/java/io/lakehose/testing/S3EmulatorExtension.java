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
        return settingsFor(emulator, kmsKey);
    }

    /**
     * Settings pointing at the emulator's bucket: path-style, region us-east-1, multipart from
     * 8 MiB in 5 MiB parts (S3's minimum), 4 attempts per request, SDK default checksums. Here and
     * not in {@link S3Emulator}: the emulators (module test-support) know no service class.
     */
    public static S3Settings settingsFor(S3Emulator emulator, Optional<KmsKeyId> kmsKey) {
        return new S3Settings(emulator.bucket(), EmulatorAccess.REGION, Optional.of(emulator.endpoint()), true, kmsKey,
                8L << 20, 5L << 20, 4, false);
    }
}
