package io.lakehose.encode;

/** Told when an attribute did not fit the configured typed schema (schema drift). */
@FunctionalInterface
public interface DriftListener {

    DriftListener NONE = (table, attribute) -> { };

    void drift(String table, String attribute);
}
