package io.lakehose.input;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Which input {@code convert}'s records come from, as the shard id of their pipelines:
 * {@code local-<id>} (docs/design.md, "Object names"). Sequence numbers are positions in the input,
 * unique only within it: two inputs of one table in one shard would number their records alike, and
 * the fence would take the second's for the first's. So each input is a shard of its own, and the
 * same input is the same shard run after run, which keeps converting it again idempotent.
 *
 * <p>The id is the name given with {@code --source-id}, or the first {@value #HASH_CHARS} hex digits
 * of the SHA-256 of where the input is: its real absolute path, or {@code s3://bucket/prefix}.
 *
 * @param id the part after {@value #SHARD_PREFIX}
 */
public record SourceId(String id) {

    public static final String SHARD_PREFIX = "local-";
    static final int HASH_CHARS = 12;
    static final int MAX_NAME = 40;
    /** Characters safe in an S3 key and an object name ('~' separates a name's parts). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_NAME + "}");

    /** {@code --source-id}: the user's name for the input, kept when the input moves. */
    public static SourceId named(String name) throws InputRefusedException {
        if (!NAME.matcher(name).matches()) {
            throw new InputRefusedException("--source-id '" + name + "' must be 1-" + MAX_NAME
                    + " characters of A-Z a-z 0-9 . _ -");
        }
        return new SourceId(name);
    }

    /** The id of what {@code --input} names; standard input has no place to identify it by. */
    public static SourceId of(String spec) throws InputRefusedException {
        if (spec.equals("-")) {
            throw new InputRefusedException("--input - (standard input) needs --source-id NAME: convert tells inputs "
                    + "apart by where they are, and standard input is nowhere (give the same name each time the same "
                    + "data is converted)");
        }
        return new SourceId(hash(location(spec)));
    }

    /** Where the input is, spelled one way: the same files always give the same string. */
    static String location(String spec) {
        if (spec.startsWith("s3://")) {
            S3Inputs.Location at = S3Inputs.Location.parse(spec);
            return "s3://" + at.bucket() + "/" + at.prefix();
        }
        Path path = Path.of(spec).toAbsolutePath().normalize();
        try {
            return path.toRealPath().toString(); // one name for a path reached through a link
        } catch (IOException e) {
            return path.toString(); // does not exist: resolving the input refuses it
        }
    }

    private static String hash(String location) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(location.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, HASH_CHARS / 2);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The shard id of the input's records. */
    public String shardId() {
        return SHARD_PREFIX + id;
    }
}
