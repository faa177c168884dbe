package io.lakehose.bench;

import io.lakehose.sink.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CountingStoreTest {

    @TempDir
    Path dir;

    @Test
    void aSmallObjectIsOnePutAndALargeOneAMultipartUpload() throws Exception {
        Path lake = Files.createDirectories(dir.resolve("lake"));
        try (CountingStore store = new CountingStore(new LocalDirectoryStore(lake), 16 << 20, 8 << 20)) {
            store.store.put(Files.write(dir.resolve("small"), new byte[1000]), "a/small.parquet", "application/octet-stream").get();
            assertThat(store.putRequests.sum()).isEqualTo(1);
            // 17 MiB: at least the 16 MiB threshold, so create + 3 parts of 8 MiB + complete.
            store.store.put(Files.write(dir.resolve("large"), new byte[17 << 20]), "a/large.parquet", "application/octet-stream").get();
            assertThat(store.objects.sum()).isEqualTo(2);
            assertThat(store.multipartParts.sum()).isEqualTo(3);
            assertThat(store.putRequests.sum()).isEqualTo(1 + 5);
            assertThat(store.objectBytes.sum()).isEqualTo(1000 + (17 << 20));
            assertThat(store.store.list("a/")).as("calls it does not count pass through").hasSize(2);
            assertThat(store.listRequests.sum()).isEqualTo(1);
        }
        assertThat(lake.resolve("a/large.parquet")).hasSize(17 << 20);
    }
}
