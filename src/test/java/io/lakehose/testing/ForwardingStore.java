package io.lakehose.testing;

import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.StoredObject;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** An object store that forwards every call; tests override the calls they fail, delay or count. */
public class ForwardingStore implements ObjectStore {

    protected final ObjectStore delegate;

    public ForwardingStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
        return delegate.put(file, key, contentType);
    }

    @Override
    public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                 Map<String, String> metadata) {
        return delegate.putIfAbsent(file, key, contentType, metadata);
    }

    @Override
    public Optional<Map<String, String>> metadata(String key) {
        return delegate.metadata(key);
    }

    @Override
    public List<String> list(String keyPrefix) {
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
