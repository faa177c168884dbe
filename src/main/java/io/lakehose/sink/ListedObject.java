package io.lakehose.sink;

import java.time.Instant;

/** An object as a bucket listing shows it: its key, size, ETag (quotes included, as S3 gives it) and last change. */
public record ListedObject(String key, long size, String eTag, Instant lastModified) {
}
