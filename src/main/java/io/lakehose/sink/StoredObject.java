package io.lakehose.sink;

/** A completed put: where the object is and how many bytes it holds. */
public record StoredObject(String location, long bytes) {
}
