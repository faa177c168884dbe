package io.lakehose.sink;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where finished files go: a local directory ({@code convert}) or an S3 bucket (the service).
 *
 * <p>Contract, which the checkpoint rule (docs/design.md, "Delivery guarantee") depends on:
 * <ul>
 *   <li>{@link #put} completes normally only once the object is durable and fully visible under
 *       {@code key}. Callers may then checkpoint the records it holds.</li>
 *   <li>It completes exceptionally after the store's own retries are exhausted; the caller must
 *       then not checkpoint past the records of that file, and must report the failure.</li>
 *   <li>An object is never half-visible: a failed or aborted put leaves nothing under {@code key}
 *       (multipart uploads are aborted; local files are renamed into place only when complete).</li>
 *   <li>{@link #put} of the same key again replaces the object; {@link #putIfAbsent} never
 *       does.</li>
 *   <li>The store may move {@code file} into place (a local directory) or leave it (S3); the
 *       caller deletes it, if it still exists, once the returned future completes.</li>
 * </ul>
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Stores the content of {@code file} under {@code key} (a relative, '/'-separated key).
     *
     * @param contentType MIME type recorded with the object where the store supports it
     */
    CompletableFuture<StoredObject> put(Path file, String key, String contentType);

    /**
     * Stores {@code file} under {@code key} only if no object has that key yet (S3's conditional
     * write, {@code If-None-Match: *}, on PutObject and CompleteMultipartUpload): of two writers of
     * one key exactly one succeeds, whatever their timing. This is the folder layout's fence
     * (docs/design.md, "The fence for folders").
     *
     * @param metadata user metadata stored with the object and returned by {@link #metadata}
     * @return the stored object, or empty when the key already existed (the existing object is
     *         left as it was, and nothing of this put is visible)
     */
    CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                          Map<String, String> metadata);

    /** The user metadata of the object under {@code key}, or empty when there is no such object. */
    Optional<Map<String, String>> metadata(String key);

    /**
     * Keys of the objects whose key starts with {@code keyPrefix} (a partition directory plus a
     * shard id), complete across pages. Used once per partition when a worker takes a lease.
     */
    List<String> list(String keyPrefix);

    /**
     * The content of the object under {@code key}, or empty when there is none. For small control
     * objects (a backfill's progress) and the audit's repair, not for the pipeline's lake files.
     */
    Optional<byte[]> read(String key);

    /**
     * Deletes the object under {@code key}, if there is one. Only the audit's repair deletes lake
     * objects, and only those whose rows it proved stored elsewhere.
     */
    void delete(String key);

    /** A human-readable location of the store root, e.g. {@code s3://bucket} or a directory. */
    String describe();

    @Override
    void close();
}
