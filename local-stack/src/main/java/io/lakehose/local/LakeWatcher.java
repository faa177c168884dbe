package io.lakehose.local;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Prints each new object of the bucket as it appears, so people see the lake fill. */
final class LakeWatcher implements AutoCloseable {

    private final S3Client s3;
    private final String bucket;
    private final PrintStream out;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final List<String> objects = new CopyOnWriteArrayList<>();
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

    /** Keys seen so far, in order of appearance. */
    List<String> objects() {
        return List.copyOf(objects);
    }

    private void loop() {
        while (running) {
            try {
                for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                    if (seen.add(o.key())) {
                        objects.add(o.key());
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

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
