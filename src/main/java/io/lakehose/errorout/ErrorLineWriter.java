package io.lakehose.errorout;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.lakehose.buffer.PrivateFiles;
import io.lakehose.buffer.SpoolWriter;
import io.lakehose.decode.SourceRecord;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;

/**
 * Writes error records as newline-delimited JSON with the fields docs/design.md, "Lake layout" names:
 * error_code, error_message, raw_data (base64 of the payload; left out for the tables of
 * lake.errorOmitRawData, {@link RawDataRule}), shard_id, sequence_number,
 * sub_sequence_number, arrival_time (ISO-8601). Optionally gzip-compressed.
 */
public final class ErrorLineWriter implements SpoolWriter<ErrorRecord> {

    private static final JsonFactory JSON = new JsonFactory();

    private final Path path;
    private final boolean gzip;
    private final RawDataRule rawData;
    private final CountingOutputStream counter;
    private final JsonGenerator out;

    private ErrorLineWriter(Path path, boolean gzip, RawDataRule rawData) throws IOException {
        this.path = path;
        this.gzip = gzip;
        this.rawData = rawData;
        this.counter = new CountingOutputStream(new BufferedOutputStream(PrivateFiles.newOutputStream(path), 64 * 1024));
        OutputStream target = gzip ? new GZIPOutputStream(counter, 64 * 1024) : counter;
        this.out = JSON.createGenerator(target, JsonEncoding.UTF8);
        out.setRootValueSeparator(null);
    }

    /** Writers whose lines all keep raw_data. */
    public static Factory<ErrorRecord> factory(boolean gzip) {
        return factory(gzip, RawDataRule.keepAll(""));
    }

    /** @param rawData which records' lines keep raw_data */
    public static Factory<ErrorRecord> factory(boolean gzip, RawDataRule rawData) {
        return (spool, first) -> new ErrorLineWriter(spool, gzip, rawData);
    }

    @Override
    public void append(ErrorRecord e) throws IOException {
        SourceRecord src = e.source();
        out.writeStartObject();
        out.writeStringField("error_code", e.errorCode());
        out.writeStringField("error_message", e.errorMessage());
        if (rawData.keepsRawData(e.table())) {
            out.writeFieldName("raw_data");
            out.writeBinary(src.data(), src.offset(), src.length());
        }
        out.writeStringField("shard_id", src.shardId());
        out.writeStringField("sequence_number", src.sequence().digits());
        out.writeNumberField("sub_sequence_number", src.sequence().subSequence());
        out.writeStringField("arrival_time", isoMicros(src.arrivalMicros()));
        out.writeEndObject();
        out.writeRaw('\n');
    }

    static String isoMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L).toString();
    }

    @Override
    public long dataSize() {
        return counter.count;
    }

    @Override
    public long inMemoryBytes() {
        return 64 * 1024; // the stream buffers; the lines themselves go straight to disk
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String extension() {
        return gzip ? ".jsonl.gz" : ".jsonl";
    }

    @Override
    public String contentType() {
        return "application/x-ndjson";
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    @Override
    public void abort() {
        try {
            out.close();
        } catch (IOException ignored) {
            // thrown away anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // stray spool files go with the spool directory
        }
    }

    private static final class CountingOutputStream extends FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
