package io.lakehose.input;

import io.lakehose.sink.ListedObject;
import io.lakehose.sink.S3ObjectStore;
import io.lakehose.testing.S3EmulatorExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An S3 object read range by range (S3Proxy): every byte in order, and a replaced object fails the read. */
class RangedObjectStreamTest {

    @RegisterExtension
    static final S3EmulatorExtension s3 = new S3EmulatorExtension();

    private static S3ObjectStore store;

    @BeforeAll
    static void openStore() {
        store = new S3ObjectStore(s3.settings(Optional.empty()));
    }

    @AfterAll
    static void closeStore() {
        store.close();
    }

    @Test
    void readsEveryByteInOrderAcrossRanges() throws IOException {
        byte[] content = random(100_003, 1);
        try (InputStream in = open(store, put("ranges/whole", content), 1000)) {
            byte[] head = new byte[10];
            for (int i = 0; i < head.length; i++) {
                head[i] = (byte) in.read(); // single bytes, then bulk
            }
            byte[] rest = in.readAllBytes();
            assertThat(concat(head, rest)).isEqualTo(content);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void anEmptyObjectIsEmpty() throws IOException {
        try (InputStream in = open(store, put("ranges/empty", new byte[0]), 1000)) {
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void anObjectReplacedDuringTheReadFailsIt() throws IOException {
        ListedObject listed = put("ranges/replaced", random(50_000, 2));
        try (InputStream in = open(store, listed, 1000)) {
            assertThat(in.readNBytes(3000)).hasSize(3000);
            s3.client().putObject(b -> b.bucket(s3.bucket()).key(listed.key()), RequestBody.fromBytes(random(50_000, 3)));

            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot read s3://" + s3.bucket() + "/ranges/replaced")
                    .hasMessageContaining("412"); // If-Match: the object is not the one listed any more
        }
    }

    private static InputStream open(S3ObjectStore store, ListedObject object, int rangeBytes) {
        return new RangedObjectStream(store, object, "s3://" + s3.bucket() + "/" + object.key(), rangeBytes);
    }

    private static ListedObject put(String key, byte[] content) {
        s3.client().putObject(b -> b.bucket(s3.bucket()).key(key), RequestBody.fromBytes(content));
        return store.listObjects(key).get(0);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
