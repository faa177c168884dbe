package io.lakehose.local;

import io.lakehose.testing.LeaseTableSeeder;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * Waits until the worker holds a lease on every shard of the stream: from then on what is put on
 * the table reaches the lake within the buffer interval, so that is when the banner may say so.
 */
final class LeaseWatch {

    /** KCL writes a lease's owner when it takes it; a look at the lease table costs a scan. */
    private static final long POLL_MILLIS = 250;

    private LeaseWatch() {
    }

    /** True once every lease has an owner; false if the worker ended or {@code timeout} passed first. */
    static boolean awaitAllHeld(DynamoDbAsyncClient dynamoDb, String leaseTable, int shards, Future<?> worker,
                                Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!worker.isDone() && System.nanoTime() < deadline) {
            Map<String, Map<String, AttributeValue>> leases = LeaseTableSeeder.leases(dynamoDb, leaseTable);
            if (leases.size() >= shards && leases.values().stream().allMatch(l -> l.containsKey("leaseOwner"))) {
                return true;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return false;
    }
}
