package io.lakehose.local;

import io.lakehose.testing.LocalAwsStack;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code --demo}: the seed walk-through done by the program itself, then a clean stop. */
final class Demo {

    private Demo() {
    }

    static int run(LocalAwsStack stack, LakeWatcher watcher, CompletableFuture<Integer> worker, int bufferSeconds)
            throws Exception {
        String[][] people = {{"864732", "Adam"}, {"864733", "Béatrice"}, {"864734", "Chen 陈"}};
        for (String[] p : people) {
            stack.dynamoDb().client().putItem(b -> b.tableName(LocalStackMain.TABLE).item(LocalStackMain.item(p[0], p[1])))
                    .join();
            System.out.println("put-item id=" + p[0]);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(bufferSeconds + 60L);
        while (watcher.objects().stream().noneMatch(k -> k.endsWith(".parquet")) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        // All three may land in one object or in one per shard: wait one more buffer interval for stragglers.
        Thread.sleep(TimeUnit.SECONDS.toMillis(bufferSeconds + 2));
        long parquet = watcher.objects().stream().filter(k -> k.endsWith(".parquet")).count();
        System.out.println(parquet > 0 ? "demo: " + parquet + " Parquet object(s) in the lake; stopping"
                : "demo: no Parquet object appeared in time");
        StopRequest.send();
        int code = worker.get(60, TimeUnit.SECONDS);
        return parquet > 0 && code == 0 ? 0 : 1;
    }
}
