package io.lakehose.commit.folders;

import io.lakehose.config.ConfigException;
import io.lakehose.decode.ErrorCode;
import io.lakehose.partition.LakeLayout;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * The longest object key the folder layout can write, checked at start against S3's limit of 1,024
 * bytes: the lake prefix and {@code lake.pathTemplate} (or the error prefix) with the longest table
 * name DynamoDB allows (255 characters), the longest reason code, the stream's name, the shard id
 * (a Kinesis one, or convert's input's) and the widest start (with a sub-sequence). A key over the limit would fail its put at the first
 * record of such a table, and the shard with it, again after every restart: refused here instead,
 * naming the setting to shorten.
 */
public final class KeyLengths {

    public static final int S3_MAX_KEY_BYTES = 1024;
    private static final String LONGEST_TABLE = "x".repeat(255);
    private static final String SHARD_ID = "shardId-000000000000";
    /** A date of the widest form (yyyy-MM-dd); hours are two digits. */
    private static final long SOME_HOUR = LocalDate.of(2099, 12, 31).toEpochDay() * 24 + 23;

    private KeyLengths() {
    }

    /** @param streamScope the stream's part of every object name (its name) */
    public static void check(LakeLayout layout, String streamScope) throws ConfigException {
        check(layout, streamScope, SHARD_ID);
    }

    /** The same for one shard's objects ({@code convert}'s input: its id is not a Kinesis one). */
    public static void check(LakeLayout layout, String streamScope, String shardId) throws ConfigException {
        ObjectNames names = new ObjectNames(streamScope, shardId);
        String longestReason = Arrays.stream(ErrorCode.values()).map(ErrorCode::code)
                .max((a, b) -> Integer.compare(a.length(), b.length())).orElse("");
        int data = longest(names, layout.partitionDirectory(LONGEST_TABLE, SOME_HOUR), ".parquet");
        int errors = longest(names, layout.errorDirectory(LONGEST_TABLE, longestReason, SOME_HOUR * 3_600_000_000L),
                ".jsonl.gz");
        if (data > S3_MAX_KEY_BYTES) {
            throw new ConfigException("lake.uri / lake.pathTemplate: keys of the lake can reach " + data
                    + " bytes (prefix '" + layout.prefix() + "', the template, a table name of 255 characters, the "
                    + "stream name and the object name), over S3's " + S3_MAX_KEY_BYTES + ": shorten the prefix or "
                    + "the template");
        }
        if (errors > S3_MAX_KEY_BYTES) {
            throw new ConfigException("lake.errorPrefix: keys of the error output can reach " + errors
                    + " bytes (prefix '" + layout.errorPrefix() + "', a table name of 255 characters, the reason, the "
                    + "stream name and the object name), over S3's " + S3_MAX_KEY_BYTES + ": shorten the prefix");
        }
    }

    private static int longest(ObjectNames names, String directory, String extension) {
        String name = names.prefix(directory) + "z".repeat(ObjectNames.WIDTH) + "_" + "z".repeat(ObjectNames.SUB_WIDTH)
                + extension;
        return name.getBytes(StandardCharsets.UTF_8).length;
    }
}
