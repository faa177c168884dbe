package io.lakehose.input;

import io.lakehose.sink.ListedObject;
import io.lakehose.sink.S3ObjectStore;

import java.io.InputStream;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code s3://bucket/prefix} as {@code convert}'s input: every object whose key starts with the
 * prefix, in key order, each read in ranges as it is reached ({@link RangedObjectStream}). Folder
 * markers (empty keys ending in '/') are left out.
 */
final class S3Inputs {

    private S3Inputs() {
    }

    /** @param stores the store for a bucket, with the client settings of the lake's configuration */
    static InputSet resolve(String uri, Function<String, S3ObjectStore> stores) throws InputRefusedException {
        Location at = Location.parse(uri);
        String bucket = at.bucket();
        String prefix = at.prefix();
        if (bucket.isEmpty()) {
            throw new InputRefusedException("input " + uri + " names no bucket: expected s3://bucket/prefix");
        }
        S3ObjectStore store = stores.apply(bucket);
        List<ListedObject> objects;
        try {
            objects = store.listObjects(prefix).stream()
                    .filter(o -> !(o.key().endsWith("/") && o.size() == 0))
                    .sorted(Comparator.comparing(ListedObject::key, InputSet.KEY_ORDER))
                    .toList();
        } catch (RuntimeException e) {
            store.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new InputRefusedException("cannot list " + uri + ": " + cause.getMessage());
        }
        if (objects.isEmpty()) {
            store.close();
            throw new InputRefusedException("input " + uri + " holds no objects");
        }
        String base = "s3://" + bucket + "/";
        List<InputFile> files = objects.stream().<InputFile>map(o -> new S3Object(store, o, base + o.key())).toList();
        return new InputSet(uri, files, store::close);
    }

    /** {@code s3://bucket/prefix} taken apart; {@code s3://bucket} is the prefix "". */
    record Location(String bucket, String prefix) {
        static Location parse(String uri) {
            String rest = uri.substring("s3://".length());
            int slash = rest.indexOf('/');
            return slash < 0 ? new Location(rest, "") : new Location(rest.substring(0, slash), rest.substring(slash + 1));
        }
    }

    private record S3Object(S3ObjectStore store, ListedObject object, String name) implements InputFile {
        @Override
        public InputStream open() {
            return new RangedObjectStream(store, object, name, RangedObjectStream.RANGE_BYTES);
        }

        @Override
        public Optional<Instant> lastModified() {
            return Optional.ofNullable(object.lastModified());
        }
    }
}
