package io.lakehose.local;

import io.lakehose.cli.StopSignals;
import io.lakehose.testing.LocalAwsStack;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code --demo}: the walk-through done by the program itself (three puts, their rows), then a clean stop. */
final class Demo {

    private static final String[][] PEOPLE = {{"864732", "Adam"}, {"864733", "Béatrice"}, {"864734", "Chen 陈"}};
    /** Reading the lake back costs a listing and a download per object: once a second is plenty. */
    private static final long POLL_MILLIS = 1000;

    private Demo() {
    }

    static int run(LocalAwsStack stack, CompletableFuture<Integer> worker, int bufferSeconds, TableRows table)
            throws Exception {
        for (String[] p : PEOPLE) {
            stack.dynamoDb().client().putItem(b -> b.tableName(LocalStackMain.TABLE).item(LocalStackMain.item(p[0], p[1])))
                    .join();
            System.out.println("put-item id=" + p[0]);
        }
        LakeRows lake = new LakeRows(stack.s3().client(), stack.s3().bucket());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(bufferSeconds + 60L);
        while (lake.count() < PEOPLE.length && System.nanoTime() < deadline && !worker.isDone()) {
            Thread.sleep(POLL_MILLIS);
        }
        int rows = lake.print(System.out);
        while (table.count() < PEOPLE.length && System.nanoTime() < deadline && !worker.isDone()) {
            Thread.sleep(POLL_MILLIS);
        }
        int tableRows = table.print(System.out);
        boolean all = rows >= PEOPLE.length && tableRows >= PEOPLE.length;
        System.out.println(all ? "demo: the three puts are rows in the lake and in table " + table.name() + "; stopping"
                : "demo: " + rows + " of " + PEOPLE.length + " rows in the lake and " + tableRows + " in table "
                + table.name() + " appeared in time; stopping");
        // Asked in process, not by raising SIGINT: a JVM started with SIGINT ignored has no handler for it.
        if (!StopSignals.requestStop()) {
            throw new IllegalStateException("the worker has not registered its stop: it cannot be stopped in process");
        }
        LibraryTeardown.silence();
        int code;
        try {
            code = worker.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // What the worker's threads are doing, for whoever reads a failed run.
            for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                System.out.print(t);
            }
            throw e;
        }
        return all && code == 0 ? 0 : 1;
    }
}
