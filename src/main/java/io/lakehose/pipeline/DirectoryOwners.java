package io.lakehose.pipeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which of {@code convert}'s writers owns each directory: the one that writes all its files, so
 * that a directory's objects form one chain whatever the number of writers (docs/design.md, "The
 * fence for folders"). Directories go to writers in turn as they are first seen; which writer gets
 * one changes no file's rows, only how the work is spread.
 */
final class DirectoryOwners {

    private final int writers;
    private final Map<String, Integer> owners = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();

    DirectoryOwners(int writers) {
        this.writers = writers;
    }

    int writers() {
        return writers;
    }

    int writerOf(String directory) {
        if (writers == 1) {
            return 0;
        }
        Integer w = owners.get(directory);
        return w != null ? w : owners.computeIfAbsent(directory, d -> Math.floorMod(next.getAndIncrement(), writers));
    }
}
