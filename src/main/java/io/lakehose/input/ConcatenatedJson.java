package io.lakehose.input;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.lakehose.pipeline.BatchSource;
import io.lakehose.pipeline.RecordBatch;

import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Records concatenated without a delimiter, as Firehose writes them by default
 * ({@code {...}{...}{...}}), cut into records with their exact bytes, so that the decoder judges
 * each one as it was written (docs/design.md, "Input").
 *
 * <p>Jackson's streaming parser reads the consecutive root-level values; each value's bytes are
 * cut out at the parser's offsets. The parser reads a one-char-per-byte (ISO-8859-1) view of the
 * bytes, so char offsets are byte offsets and only the JSON structure is judged here: invalid
 * UTF-8, a key twice, deep nesting or a huge number are the decoder's to refuse, record by record.
 *
 * <p>When the records cannot be split any further (a value that is not well-formed), where the
 * next record begins cannot be known reliably. The rest of the file from there goes to the error
 * output as it is, in pieces of at most {@value #PIECE_BYTES} bytes in sequence order, with the
 * reason: nothing is dropped, and nothing is guessed into a record.
 */
final class ConcatenatedJson implements BatchSource {

    /** How much a probe may read to find the end of a file's first record. */
    static final int PROBE_BYTES = 16 * 1024 * 1024;
    static final int PIECE_BYTES = 1024 * 1024;

    private static final JsonFactory SPLITTER = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES) // names are skipped, not kept: no symbol table
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private final RetainingInputStream in;
    private final JsonParser parser;
    private final int file;
    private final String name;
    private long[] pending;
    private long nextPosition = 1;
    /** The end of the last record cut. */
    private long cutUpTo;
    private boolean ended;
    private Rest rest;

    /** The part of the file that could not be split: from {@code from} on, pieces up to {@code next} handed out. */
    private static final class Rest {
        final long from;
        final String reason;
        long next;

        Rest(long from, String reason) {
            this.from = from;
            this.reason = reason;
            this.next = from;
        }
    }

    private ConcatenatedJson(RetainingInputStream in, JsonParser parser, int file, String name, long[] first) {
        this.in = in;
        this.parser = parser;
        this.file = file;
        this.name = name;
        this.pending = first;
    }

    /**
     * The file's records when its first value is followed on the same line by another object: the
     * file is concatenated records. Otherwise (one record per line, a first record that is broken or
     * longer than {@value #PROBE_BYTES} bytes) empty, and {@code in} can still be read from its start.
     */
    static Optional<ConcatenatedJson> probe(RetainingInputStream in, int file, String name) throws IOException {
        in.limitReads(PROBE_BYTES);
        JsonParser parser = SPLITTER.createParser(new InputStreamReader(in, StandardCharsets.ISO_8859_1));
        try {
            long[] first = nextValue(parser, in);
            if (first != null && followedOnItsLineByAnObject(in, first[1]) && !in.readLimitReached()) {
                in.unlimitedReads();
                return Optional.of(new ConcatenatedJson(in, parser, file, name, first));
            }
        } catch (JsonProcessingException e) {
            // a broken first record: read as lines, where it is one error record
        }
        parser.close(); // leaves the stream open (no AUTO_CLOSE_SOURCE) for reading it as lines
        return Optional.empty();
    }

    private static boolean followedOnItsLineByAnObject(RetainingInputStream in, long end) throws IOException {
        long at = end;
        int c;
        while (((c = in.byteAt(at)) == ' ' || c == '\t') && at < PROBE_BYTES) {
            at++;
        }
        return c == '{';
    }

    @Override
    public RecordBatch next() throws IOException {
        if (rest != null) {
            return nextPieces();
        }
        if (ended) {
            return null;
        }
        long[] starts = new long[64];
        long[] ends = new long[64];
        int count = 0;
        long bytes = 0;
        try {
            while (bytes < RecordBatch.TARGET_BYTES) {
                long[] value = pending != null ? pending : nextValue(parser, in);
                pending = null;
                if (value == null) {
                    ended = true;
                    break;
                }
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count * 2);
                    ends = Arrays.copyOf(ends, count * 2);
                }
                starts[count] = value[0];
                ends[count] = value[1];
                count++;
                bytes += value[1] - value[0];
                cutUpTo = value[1];
            }
        } catch (JsonProcessingException e) {
            rest = new Rest(firstNonBlank(cutUpTo), reason(e));
        }
        if (ended || rest != null) {
            parser.close();
        }
        if (count == 0) {
            return rest != null ? nextPieces() : null;
        }
        return batch(starts, ends, count, null);
    }

    /** The next value's bytes {@code [start, end)}, without whitespace around it; null at the end. */
    private static long[] nextValue(JsonParser parser, RetainingInputStream in) throws IOException {
        JsonToken token = parser.nextToken();
        if (token == null) {
            return null;
        }
        long start = parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        parser.finishToken(); // a string is otherwise read only as far as its opening quote
        long end = parser.currentLocation().getCharOffset();
        while (end > start && isWhitespace(in.byteAt(end - 1))) {
            end--; // a root-level number is ended by the whitespace after it, which the parser has taken
        }
        return new long[]{start, end};
    }

    /** The next pieces of what could not be split, each an error record with the reason. */
    private RecordBatch nextPieces() throws IOException {
        long[] starts = new long[RecordBatch.TARGET_BYTES / PIECE_BYTES];
        long[] ends = new long[starts.length];
        int count = 0;
        while (count < starts.length) {
            long end = in.readAheadTo(rest.next + PIECE_BYTES);
            if (end <= rest.next) {
                break;
            }
            starts[count] = rest.next;
            ends[count] = end;
            count++;
            rest.next = end;
        }
        if (count == 0) {
            return null;
        }
        String[] unreadable = new String[count];
        for (int i = 0; i < count; i++) {
            unreadable[i] = name + ": the concatenated records cannot be split from byte " + rest.from + " of its content on ("
                    + rest.reason + "), so the rest of the file is in the error output as it is, in pieces in sequence "
                    + "order, none of it converted; this piece is bytes " + starts[i] + "-" + (ends[i] - 1);
        }
        return batch(starts, ends, count, unreadable);
    }

    private RecordBatch batch(long[] starts, long[] ends, int count, String[] unreadable) {
        long from = starts[0];
        byte[] data = in.copy(from, ends[count - 1]);
        int[] relativeStarts = new int[count];
        int[] relativeEnds = new int[count];
        for (int i = 0; i < count; i++) {
            relativeStarts[i] = (int) (starts[i] - from);
            relativeEnds[i] = (int) (ends[i] - from);
        }
        in.retainFrom(ends[count - 1]);
        RecordBatch b = new RecordBatch(file, nextPosition, data, relativeStarts, relativeEnds, count, unreadable);
        nextPosition += count;
        return b;
    }

    /** The parser's complaint, its first line only (it may quote input), and where it was. */
    private static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
                : e.getOriginalMessage().lines().findFirst().orElse("");
        return message + (e.getLocation() == null ? "" : " at byte " + e.getLocation().getCharOffset());
    }

    private long firstNonBlank(long offset) throws IOException {
        long at = offset;
        while (isWhitespace(in.byteAt(at))) {
            at++;
        }
        return at;
    }

    private static boolean isWhitespace(int b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }
}
