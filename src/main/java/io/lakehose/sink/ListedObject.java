package io.lakehose.sink;

/** An object as a bucket listing shows it: its key, size and ETag (quotes included, as S3 gives it). */
public record ListedObject(String key, long size, String eTag) {
}
