package io.lakehose.bench;

import io.lakehose.sink.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what an {@link ObjectStore} is asked to do and passes it on: the objects written (each
 * with its size, which decides how many S3 requests its upload takes), and the listings. For the
 * cost table: every write here is one S3 upload in the service. {@link #store} is a proxy, so the
 * counting names only the calls it counts instead of restating every method of the interface.
 */
final class CountingStore implements AutoCloseable {

    private final ObjectStore delegate;
    private final long multipartThresholdBytes;
    private final long partSizeBytes;
    /** The store to write through. */
    final ObjectStore store;
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
        this.store = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
                new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "put", "putIfAbsent" -> count((Path) args[0]);
                        case "list" -> listRequests.increment();
                        default -> { }
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
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
    public void close() {
        delegate.close();
    }
}
