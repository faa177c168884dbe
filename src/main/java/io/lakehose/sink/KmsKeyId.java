package io.lakehose.sink;

import java.util.Objects;

/**
 * The KMS key that encrypts every object (SSE-KMS). A type rather than a string so that a blank
 * key can never silently turn into "no encryption header" on some code path (a known bug in
 * other S3 sinks' multipart paths): a store either has a KmsKeyId or explicitly none.
 */
public record KmsKeyId(String value) {
    public KmsKeyId {
        Objects.requireNonNull(value, "kms key id");
        if (value.isBlank()) {
            throw new IllegalArgumentException("KMS key id must not be blank");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
