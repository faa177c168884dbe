package io.lakehose.bench;

import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An {@link ObjectStore} that counts what it is asked to do and passes it on: the objects
 * written (each with its size, which decides how many S3 requests its upload takes), and the
 * listings. For the cost table: every write here is one S3 upload in the service.
 */
final class CountingStore implements ObjectStore {

    private final ObjectStore delegate;
    private final long multipartThresholdBytes;
    private final long partSizeBytes;
    final LongAdder objects = new LongAdder();
    final LongAdder objectBytes = new LongAdder();
    /** PutObject, or CreateMultipartUpload + UploadPart per part + CompleteMultipartUpload. */
    final LongAdder putRequests = new LongAdder();
    final LongAdder multipartParts = new LongAdder();
    final LongAdder listRequests = new LongAdder();
    final AtomicLong largestObject = new AtomicLong();

    CountingStore(ObjectStore delegate, long multipartThresholdBytes, long partSizeBytes) {
        this.delegate = delegate;
        this.multipartThresholdBytes = multipartThresholdBytes;
        this.partSizeBytes = partSizeBytes;
    }

    private void count(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        objects.increment();
        objectBytes.add(size);
        largestObject.accumulateAndGet(size, Math::max);
        if (size >= multipartThresholdBytes) {
            long parts = (size + partSizeBytes - 1) / partSizeBytes;
            multipartParts.add(parts);
            putRequests.add(parts + 2);
        } else {
            putRequests.increment();
        }
    }

    @Override
    public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
        count(file);
        return delegate.put(file, key, contentType);
    }

    @Override
    public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                 Map<String, String> metadata) {
        count(file);
        return delegate.putIfAbsent(file, key, contentType, metadata);
    }

    @Override
    public Optional<Map<String, String>> metadata(String key) {
        return delegate.metadata(key);
    }

    @Override
    public List<String> list(String keyPrefix) {
        listRequests.increment();
        return delegate.list(keyPrefix);
    }

    @Override
    public Optional<byte[]> read(String key) {
        return delegate.read(key);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
