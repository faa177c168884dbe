package io.lakehose.commit;

import java.util.Optional;

/**
 * What committing one finished file made visible: where its rows now are (an object key, a data
 * file path), and how many rows this writer added. A file whose rows another writer of the shard
 * had already stored adds none and has no location of its own.
 */
public record Committed(Optional<String> location, long rows, long bytes) {

    public static final Committed NOTHING_NEW = new Committed(Optional.empty(), 0, 0);
}
