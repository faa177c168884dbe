package io.lakehose.kcl;

import io.lakehose.decode.SequenceNumber;
import io.lakehose.testing.S3Emulator;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.lakehose.testing.ProcessAssertions.poll;

/** The process tests' view of the lake objects a worker uploads while they watch (WorkerCrashesIT, WorkerProcessesIT). */
final class UploadedObjects {

    /**
     * {@code <stream>~<shard>~<first in base 36>[_<sub>].<ext>}: groups the shard. S3Proxy lists a
     * PUT in progress under a temporary {@code <key>-<uuid>} name, which this does not match.
     */
    private static final Pattern OBJECT_NAME =
            Pattern.compile("[^~]+~(shardId-\\d+)~[0-9a-z]+(?:_[0-9a-z]+)?\\.(?:parquet|jsonl|jsonl\\.gz)");

    private final WorkerHarness h;
    private final S3Emulator s3;

    UploadedObjects(WorkerHarness h, S3Emulator s3) {
        this.h = h;
        this.s3 = s3;
    }

    /** Polls the bucket (every 20 ms) until an object not in {@code before} appears; returns its key. */
    String awaitNew(Set<String> before, WorkerProcess w, Duration timeout) {
        AtomicReference<String> found = new AtomicReference<>();
        poll("a new object from " + w, timeout, w, () -> {
            found.set(newObject(before));
            return found.get() != null;
        }, 20);
        return found.get();
    }

    /** The key of a lake object of the stream (not an upload in progress) that is not in {@code before}, or null. */
    private String newObject(Set<String> before) {
        for (String k : h.objectKeys()) {
            if (!before.contains(k) && shardAndLast(k) != null) {
                return k;
            }
        }
        return null;
    }

    /** {shard id, last sequence number} of an object: the shard from its name, the last record from its metadata; null for another name. */
    String[] shardAndLast(String key) {
        Matcher m = OBJECT_NAME.matcher(key.substring(key.lastIndexOf('/') + 1));
        if (!m.matches()) {
            return null;
        }
        String last = s3.client().headObject(b -> b.bucket(s3.bucket()).key(key)).metadata().get("lakehose-last");
        return new String[] {m.group(1), SequenceNumber.parse(last).digits()};
    }
}
