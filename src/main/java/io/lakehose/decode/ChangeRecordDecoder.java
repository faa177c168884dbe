package io.lakehose.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the JSON of one "Kinesis Data Streams for DynamoDB" record (docs/design.md, "Input") into a
 * {@link ChangeRecord}, or explains with a {@link DecodeException} why it cannot.
 *
 * <p>One pass with a streaming parser: images are copied token by token into plain JSON, unknown
 * fields are skipped without materialising them. Not thread-safe (reuses an output buffer):
 * use one decoder per thread.
 */
public final class ChangeRecordDecoder {


    /** DynamoDB items are at most 400 KB, but a record may be up to 10 MiB on Kinesis. */
    private static final int MAX_STRING_CHARS = 64 * 1024 * 1024;

    private final JsonFactory factory;
    private final ByteArrayBuilder out = new ByteArrayBuilder(4096);
    /**
     * One generator for every image this decoder writes (each image a root-level value, no
     * separator): a generator per image cost about 5% of decode (buffer-recycler lookups,
     * allocation). Dropped after a failure, since it may be left mid-object.
     */
    private JsonGenerator generator;

    private final EventTimeBounds bounds;
    private final boolean arrivalFromEventTime;
    /** Whether the record being decoded may hold an escaped surrogate: only then are strings checked. */
    private boolean escapedSurrogates;

    public ChangeRecordDecoder() {
        this(false);
    }

    /**
     * @param arrivalFromEventTime use the event time as the arrival time (input without one,
     *                             such as {@code convert}'s files)
     */
    public ChangeRecordDecoder(boolean arrivalFromEventTime) {
        this(arrivalFromEventTime, EventTimeBounds.DEFAULT);
    }

    /** @param bounds the event times a record may have ({@code input.*}) */
    public ChangeRecordDecoder(boolean arrivalFromEventTime, EventTimeBounds bounds) {
        this.bounds = bounds;
        this.arrivalFromEventTime = arrivalFromEventTime;
        this.factory = new JsonFactoryBuilder()
                // Emoji as UTF-8 rather than \uD83D\uDE00 pairs, so LIKE '%😀%' on JSON columns matches.
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(MAX_STRING_CHARS)
                        .maxNestingDepth(200)
                        .build())
                .rootValueSeparator((String) null)
                // A key twice in one object, at any depth, is an error, not "the last one wins".
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    public ChangeRecord decode(SourceRecord src) throws DecodeException {
        if (isBlank(src)) {
            throw new DecodeException(ErrorCode.EMPTY_RECORD, "record is empty");
        }
        if (startsWithByteOrderMark(src)) {
            throw new DecodeException(ErrorCode.INVALID_JSON, "starts with a UTF-8 byte-order mark (JSON text has none)");
        }
        int bad = Utf8.firstInvalid(src.data(), src.offset(), src.length());
        if (bad >= 0) {
            int b = src.data()[src.offset() + bad] & 0xFF;
            throw b == 0
                    ? new DecodeException(ErrorCode.INVALID_JSON, "NUL byte at byte " + bad
                            + " (JSON has none; is the record UTF-16 or UTF-32?)")
                    : new DecodeException(ErrorCode.INVALID_UTF8, "invalid UTF-8 at byte " + bad
                            + String.format(" (0x%02x)", b));
        }
        escapedSurrogates = Surrogates.mayBeEscaped(src.data(), src.offset(), src.length());
        Fields f = new Fields();
        try (JsonParser p = factory.createParser(src.data(), src.offset(), src.length())) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new DecodeException(ErrorCode.NOT_AN_OBJECT,
                        "top-level JSON value is " + describe(first) + ", not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "eventID" -> f.eventId = text(p, t, name);
                    case "eventName" -> f.eventName = text(p, t, name);
                    case "tableName" -> f.tableName = text(p, t, name);
                    case "awsRegion" -> f.awsRegion = text(p, t, name);
                    case "eventSource" -> {
                        String source = text(p, t, name);
                        if (source != null && !source.equals("aws:dynamodb")) {
                            throw notCdc("eventSource is '" + source + "', not 'aws:dynamodb'");
                        }
                    }
                    case "userIdentity" -> f.userIdentity = userIdentity(p, t);
                    case "dynamodb" -> dynamodb(p, t, f, src);
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new DecodeException(ErrorCode.INVALID_JSON, "unexpected content after the JSON object");
            }
            ChangeRecord change = f.toRecord(src, bounds);
            if (arrivalFromEventTime) {
                change = change.withArrival(change.eventTimeMicros());
            }
            return change;
        } catch (DecodeException e) {
            throw e.inTable(f.tableName);
        } catch (StreamReadException e) {
            String msg = e.getOriginalMessage();
            ErrorCode code = msg != null && msg.startsWith("Duplicate field") ? ErrorCode.DUPLICATE_KEY
                    : msg != null && msg.contains("UTF-8") ? ErrorCode.INVALID_UTF8 : ErrorCode.INVALID_JSON;
            String where = e.getLocation() == null ? "" : " at byte " + e.getLocation().getByteOffset();
            String what = msg != null && msg.startsWith("Unexpected end-of-input") ? "truncated JSON: " + msg : msg;
            throw new DecodeException(code, firstLine(what) + where).inTable(f.tableName);
        } catch (IOException e) {
            throw new DecodeException(ErrorCode.INVALID_JSON, firstLine(e.getMessage())).inTable(f.tableName);
        }
    }

    private void dynamodb(JsonParser p, JsonToken t, Fields f, SourceRecord src) throws IOException, DecodeException {
        if (t != JsonToken.START_OBJECT) {
            throw notCdc("'dynamodb' is " + describe(t) + ", not an object");
        }
        f.hasDynamodb = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "ApproximateCreationDateTime" -> {
                    if (v != JsonToken.VALUE_NUMBER_INT) {
                        throw notCdc("dynamodb.ApproximateCreationDateTime is " + describe(v) + ", not an integer");
                    }
                    try {
                        f.creationTime = p.getLongValue();
                    } catch (InputCoercionException e) {
                        throw notCdc("dynamodb.ApproximateCreationDateTime " + p.getText() + " is out of range");
                    }
                    f.hasCreationTime = true;
                }
                case "ApproximateCreationDateTimePrecision" -> f.precision = text(p, v, name);
                case "Keys" -> f.keys = image(p, "Keys");
                case "NewImage" -> {
                    if (v == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    f.newImageOffset = (int) (p.currentTokenLocation().getByteOffset()) + src.offset();
                    f.newImage = image(p, "NewImage");
                    f.newImageLength = (int) (p.currentLocation().getByteOffset()) + src.offset() - f.newImageOffset;
                }
                case "OldImage" -> f.oldImage = v == JsonToken.VALUE_NULL ? null : image(p, "OldImage");
                case "SizeBytes" -> {
                    if (v == JsonToken.VALUE_NUMBER_INT) {
                        f.sizeBytes = p.getLongValue();
                    } else if (v != JsonToken.VALUE_NULL) {
                        throw notCdc("dynamodb.SizeBytes is " + describe(v) + ", not an integer");
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private byte[] image(JsonParser p, String what) throws IOException, DecodeException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw notCdc("dynamodb." + what + " is " + describe(p.currentToken()) + ", not an object");
        }
        out.reset();
        JsonGenerator g = generator;
        if (g == null) {
            g = generator = factory.createGenerator(out);
        }
        try {
            PlainJsonWriter.writeItem(p, g, escapedSurrogates);
            g.flush();
        } catch (IOException | DecodeException | RuntimeException e) {
            generator = null;
            throw e;
        }
        return out.toByteArray();
    }

    private String userIdentity(JsonParser p, JsonToken t) throws IOException, DecodeException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw notCdc("userIdentity is " + describe(t) + ", not an object or null");
        }
        String principal = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("principalId")) {
                principal = text(p, v, "userIdentity.principalId");
            } else {
                p.skipChildren();
            }
        }
        return principal;
    }

    private String text(JsonParser p, JsonToken t, String name) throws IOException, DecodeException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw notCdc("'" + name + "' is " + describe(t) + ", not a string");
        }
        if (escapedSurrogates) {
            Surrogates.check(p.getTextCharacters(), p.getTextOffset(), p.getTextLength(), "'" + name + "'");
        }
        return p.getText();
    }

    private static boolean isBlank(SourceRecord src) {
        byte[] d = src.data();
        for (int i = src.offset(), end = src.offset() + src.length(); i < end; i++) {
            byte b = d[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "missing";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable JSON";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static DecodeException notCdc(String message) {
        return new DecodeException(ErrorCode.NOT_A_CDC_RECORD, message);
    }

    private static boolean startsWithByteOrderMark(SourceRecord src) {
        byte[] b = src.data();
        int o = src.offset();
        return src.length() >= 3 && (b[o] & 0xFF) == 0xEF && (b[o + 1] & 0xFF) == 0xBB && (b[o + 2] & 0xFF) == 0xBF;
    }

    /** A table name for a message: printable, at most 64 characters of it. */
    private static String quoted(String name) {
        StringBuilder out = new StringBuilder("'");
        name.codePoints().limit(64).forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c)
                : new String(Character.toChars(c))));
        return out.append(name.length() > 64 ? "...' (" + name.length() + " characters)" : "'").toString();
    }

    /** Fields gathered while scanning; JSON objects may list them in any order. */
    private static final class Fields {
        String eventId;
        String eventName;
        String tableName;
        String awsRegion;
        String userIdentity;
        boolean hasDynamodb;
        boolean hasCreationTime;
        long creationTime;
        String precision;
        byte[] keys;
        byte[] newImage;
        byte[] oldImage;
        Long sizeBytes;
        int newImageOffset = -1;
        int newImageLength = -1;

        ChangeRecord toRecord(SourceRecord src, EventTimeBounds bounds) throws DecodeException {
            List<String> missing = new ArrayList<>();
            if (eventId == null) missing.add("eventID");
            if (eventName == null) missing.add("eventName");
            if (tableName == null) missing.add("tableName");
            if (!hasDynamodb) {
                missing.add("dynamodb");
            } else {
                if (!hasCreationTime) missing.add("dynamodb.ApproximateCreationDateTime");
                if (keys == null) missing.add("dynamodb.Keys");
            }
            if (!missing.isEmpty()) {
                throw notCdc("not a DynamoDB change record: missing " + String.join(", ", missing));
            }
            if (!TableNames.isValid(tableName)) {
                throw new DecodeException(ErrorCode.INVALID_TABLE_NAME, "tableName " + quoted(tableName)
                        + " is not a DynamoDB table name (3-255 characters of A-Z a-z 0-9 _ . -)");
            }
            if (!eventName.equals("INSERT") && !eventName.equals("MODIFY") && !eventName.equals("REMOVE")) {
                throw notCdc("eventName is '" + eventName + "', not INSERT, MODIFY or REMOVE");
            }
            long micros;
            if (precision == null || precision.equals("MILLISECOND")) {
                if (Math.abs(creationTime) > Long.MAX_VALUE / 1000) {
                    throw notCdc("dynamodb.ApproximateCreationDateTime " + creationTime + " is out of range");
                }
                micros = creationTime * 1000L;
            } else if (precision.equals("MICROSECOND")) {
                micros = creationTime;
            } else {
                throw notCdc("dynamodb.ApproximateCreationDateTimePrecision is '" + precision
                        + "', not MILLISECOND or MICROSECOND");
            }
            if (!bounds.allows(micros, System.currentTimeMillis() * 1000L)) {
                throw new DecodeException(ErrorCode.EVENT_TIME_OUT_OF_RANGE, "dynamodb.ApproximateCreationDateTime "
                        + creationTime + " (" + (precision == null ? "MILLISECOND" : precision) + ") is before "
                        + Instant.EPOCH.plus(bounds.earliestMicros(), ChronoUnit.MICROS)
                        + " or more than " + bounds.maxAheadMicros() / 1_000_000 + " s ahead of this worker's clock "
                        + "(input.earliestEventTime, input.maxEventTimeAheadSeconds)");
            }
            return new ChangeRecord(eventId, eventName, tableName, awsRegion, micros, userIdentity,
                    keys, newImage, oldImage, sizeBytes, src, newImageOffset, newImageLength);
        }
    }
}
