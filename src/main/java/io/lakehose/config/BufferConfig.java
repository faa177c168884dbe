package io.lakehose.config;

import io.lakehose.buffer.BufferLimits;

import java.nio.file.Path;
import java.util.List;

import static io.lakehose.config.Parsers.GIB;
import static io.lakehose.config.Parsers.KIB;
import static io.lakehose.config.Parsers.MIB;
import static io.lakehose.config.Parsers.bytesIn;
import static io.lakehose.config.Parsers.longIn;
import static io.lakehose.config.Parsers.string;

/**
 * When files are finished and how much the worker holds (the buffer.* keys).
 *
 * @param limits when a partition's file is finished
 */
public record BufferConfig(BufferLimits limits, long memoryCapBytes, long maxUploadBytesInFlight, Path spoolDir) {

    public static final ConfigKey<Long> MAX_BYTES = new ConfigKey<>("buffer.maxBytes", "128MiB",
            bytesIn(64 * KIB, 5 * GIB), "A partition's file is finished at this many encoded (Parquet) bytes.");
    public static final ConfigKey<Long> MAX_RECORDS = new ConfigKey<>("buffer.maxRecords", "5000000",
            longIn(1, Long.MAX_VALUE), "... or at this many records.");
    public static final ConfigKey<Long> MAX_AGE_SECONDS = new ConfigKey<>("buffer.maxAgeSeconds", "300",
            longIn(1, 86_400), "... or when a record arrives this long (by Kinesis arrival time) after the file's "
            + "first; quiet shards also flush by the wall clock. Lower means fresher data and more, smaller files. "
            + "convert does not use it.");
    public static final ConfigKey<Long> MEMORY_CAP = new ConfigKey<>("buffer.memoryCapBytes", "512MiB",
            bytesIn(1 * MIB, 64 * GIB), "Heap all open files may hold together (each counts its row group and "
            + "what an open Parquet writer holds anyway, about 64 KiB); past it the largest file is flushed first. At "
            + "most a third of the JVM's maximum heap is used, whatever is set.");
    public static final ConfigKey<Long> UPLOAD_IN_FLIGHT = new ConfigKey<>("buffer.maxUploadBytesInFlight",
            "1GiB", bytesIn(1 * MIB, 1024 * GIB), "Bytes uploading at once; past it shards wait (backpressure) "
            + "instead of buffering more.");
    public static final ConfigKey<String> SPOOL_DIR = new ConfigKey<>("buffer.spoolDir",
            Path.of(System.getProperty("java.io.tmpdir"), "lakehose-spool-" + userName()).toString(), string(),
            "Local directory where files are written before upload (Fargate: ephemeral storage). It holds plaintext "
                    + "CDC data: it must belong to the user lakehose runs as (else start fails); each process writes "
                    + "in its own 0700 directory there, files 0600, and deletes those of processes no longer running.");

    /** Part of the default spool root: one per user, so that two users on a host do not share (and refuse) one. */
    private static String userName() {
        return System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static final Section<BufferConfig> SECTION = new Section<>("buffer",
            List.of(MAX_BYTES, MAX_RECORDS, MAX_AGE_SECONDS, MEMORY_CAP, UPLOAD_IN_FLIGHT, SPOOL_DIR),
            v -> new BufferConfig(new BufferLimits(v.get(MAX_BYTES), v.get(MAX_RECORDS), v.get(MAX_AGE_SECONDS) * 1_000_000L),
                    v.get(MEMORY_CAP), v.get(UPLOAD_IN_FLIGHT), Path.of(v.get(SPOOL_DIR))));
}
