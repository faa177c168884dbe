package io.lakehose.input;

import io.lakehose.sink.ListedObject;
import io.lakehose.sink.S3ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * An S3 object read in ranges, the next range fetched while the current one is read. Memory stays
 * at two ranges whatever the object's size; each range is a request of its own, with the SDK's
 * retries and timeouts (a single GetObject of a large object would have to finish within
 * {@code s3.attemptTimeoutSeconds} while the pipeline reads it slowly); and If-Match on the listed
 * ETag makes an object replaced during the read fail it instead of mixing two versions.
 */
final class RangedObjectStream extends InputStream {

    static final int RANGE_BYTES = 8 * 1024 * 1024;

    private final S3ObjectStore store;
    private final ListedObject object;
    private final String name;
    private final int rangeBytes;
    private long nextRange;
    private CompletableFuture<byte[]> ahead;
    /** Where the range {@code ahead} begins. */
    private long aheadFirst;
    private byte[] range = new byte[0];
    private int pos;

    RangedObjectStream(S3ObjectStore store, ListedObject object, String name, int rangeBytes) {
        this.store = store;
        this.object = object;
        this.name = name;
        this.rangeBytes = rangeBytes;
        this.ahead = request();
    }

    @Override
    public int read() throws IOException {
        if (pos == range.length && !advance()) {
            return -1;
        }
        return range[pos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == range.length && !advance()) {
            return -1;
        }
        int n = Math.min(len, range.length - pos);
        System.arraycopy(range, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        if (ahead != null) {
            ahead.cancel(true);
            ahead = null;
        }
    }

    /** Takes the range fetched ahead and asks for the one after it; false at the end of the object. */
    private boolean advance() throws IOException {
        if (ahead == null) {
            return false;
        }
        long first = aheadFirst;
        try {
            range = ahead.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException("cannot read " + name + " (bytes from " + first + "): " + cause.getMessage(), cause);
        }
        if (range.length != expectedLength(first)) {
            throw new IOException("cannot read " + name + ": bytes from " + first + " came back as " + range.length
                    + " bytes, not " + expectedLength(first) + " (did the object change?)");
        }
        pos = 0;
        ahead = request();
        return true;
    }

    /** The request for the next range, or null when the whole object has been asked for. */
    private CompletableFuture<byte[]> request() {
        if (nextRange >= object.size()) {
            return null;
        }
        int length = expectedLength(nextRange);
        aheadFirst = nextRange;
        CompletableFuture<byte[]> f = store.readRange(object.key(), object.eTag(), nextRange, length);
        nextRange += length;
        return f;
    }

    private int expectedLength(long first) {
        return (int) Math.min(rangeBytes, object.size() - first);
    }
}
