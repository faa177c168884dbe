package io.lakehose.local;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Prints each new object of the bucket as it appears, so people see the lake fill. */
final class LakeWatcher implements AutoCloseable {

    private final S3Client s3;
    private final String bucket;
    private final PrintStream out;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    LakeWatcher(S3Client s3, String bucket, PrintStream out) {
        this.s3 = s3;
        this.bucket = bucket;
        this.out = out;
        this.thread = new Thread(this::loop, "lake-watcher");
        thread.setDaemon(true);
    }

    LakeWatcher start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (running) {
            try {
                for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                    if (isLakeObject(o.key()) && seen.add(o.key())) {
                        out.printf("new object: s3://%s/%s (%,d bytes)%n", bucket, o.key(), o.size());
                    }
                }
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // the emulator is stopping; the next round or close() ends this
            }
        }
    }

    /** Data and error objects; not the emulator's transient keys of an upload in progress. */
    private static boolean isLakeObject(String key) {
        return key.endsWith(".parquet") || key.endsWith(".jsonl") || key.endsWith(".jsonl.gz");
    }

    /** Stops the watcher; nothing is printed after this returns. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
