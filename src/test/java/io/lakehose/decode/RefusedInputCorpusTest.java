package io.lakehose.decode;

import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Input that is refused rather than repaired (docs/design.md, "Input"): each line goes to the error
 * output with its own reason, and no line costs much more than its size.
 */
class RefusedInputCorpusTest {

    private final ChangeRecordDecoder decoder = new ChangeRecordDecoder();

    private static String change(String dynamodbExtra, String newImage, long creation, String precision) {
        return "{\"eventID\":\"e1\",\"eventName\":\"INSERT\",\"tableName\":\"orders\",\"awsRegion\":\"us-east-1\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":" + creation
                + (precision == null ? "" : ",\"ApproximateCreationDateTimePrecision\":\"" + precision + "\"")
                + ",\"Keys\":{\"id\":{\"S\":\"1\"}}," + dynamodbExtra + "\"NewImage\":" + newImage + "},"
                + "\"eventSource\":\"aws:dynamodb\"}";
    }

    private static String image(String attributes) {
        return "{\"id\":{\"S\":\"1\"}" + attributes + "}";
    }

    private static final long NOW_MILLIS = 1_732_521_600_123L; // 2024-11-25

    private DecodeException refused(byte[] line) {
        DecodeException e = catchThrowableOfType(DecodeException.class, () -> decoder.decode(
                SourceRecord.of("shardId-000000000000", SequenceNumber.of(1), NOW_MILLIS * 1000, line)));
        assertThat(e).as(new String(line, StandardCharsets.UTF_8)).isNotNull();
        return e;
    }

    private DecodeException refused(String line) {
        return refused(line.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eachLineOfTheCorpusIsRefusedWithItsOwnReason() {
        Map<String, ErrorCode> corpus = new LinkedHashMap<>();
        corpus.put("{\"eventID\":\"a\",\"eventID\":\"b\",\"eventName\":\"INSERT\"}", ErrorCode.DUPLICATE_KEY);
        corpus.put(change("", image(",\"n\":{\"S\":\"x\"},\"n\":{\"S\":\"y\"}"), NOW_MILLIS, null), ErrorCode.DUPLICATE_KEY);
        corpus.put(change("", image(",\"m\":{\"M\":{\"k\":{\"N\":\"1\"},\"k\":{\"N\":\"2\"}}}"), NOW_MILLIS, null),
                ErrorCode.DUPLICATE_KEY);
        corpus.put(change("\"SizeBytes\":1,\"SizeBytes\":2,", image(""), NOW_MILLIS, null), ErrorCode.DUPLICATE_KEY);
        corpus.put(change("", image(""), 32_503_680_000_000L, null), ErrorCode.EVENT_TIME_OUT_OF_RANGE); // year 3000
        corpus.put(change("", image(""), Long.MAX_VALUE, "MICROSECOND"), ErrorCode.EVENT_TIME_OUT_OF_RANGE);
        corpus.put(change("", image(""), 86_400_000L, null), ErrorCode.EVENT_TIME_OUT_OF_RANGE); // 1970
        corpus.put(change("", image(",\"n\":{\"N\":\"1234567890123456789012345678901234567891\"}"), NOW_MILLIS, null),
                ErrorCode.INVALID_ATTRIBUTE_VALUE); // 40 significant digits
        corpus.put(change("", image(",\"s\":{\"NS\":[\"1\",\"" + "9".repeat(39) + "\"]}"), NOW_MILLIS, null),
                ErrorCode.INVALID_ATTRIBUTE_VALUE);
        corpus.put(change("", image(""), NOW_MILLIS, null).replace("\"eventID\":\"e1\"", "\"eventID\":\"e\\uD800x\""),
                ErrorCode.INVALID_UTF8); // a lone surrogate escape in eventID
        corpus.put(change("", image(",\"s\":{\"S\":\"a\\uDC00\"}"), NOW_MILLIS, null), ErrorCode.INVALID_UTF8);
        // in a name the parser itself refuses it ("Broken surrogate pair in field name")
        corpus.put(change("", image(",\"k\\uD83D\":{\"S\":\"a\"}"), NOW_MILLIS, null), ErrorCode.INVALID_JSON);
        corpus.put(change("", image(",\"s\":{\"SS\":[\"ok\",\"\\uD83Dx\"]}"), NOW_MILLIS, null), ErrorCode.INVALID_UTF8);
        corpus.forEach((line, code) -> assertThat(refused(line).code()).as(line).isEqualTo(code));

        byte[] bom = ("\uFEFF" + change("", image(""), NOW_MILLIS, null)).getBytes(StandardCharsets.UTF_8);
        assertThat(refused(bom).code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(refused(bom).getMessage()).contains("byte-order mark");
    }

    @Test
    void aHugeNumberIsRefusedBeforeItIsParsed() {
        String digits = "+" + "7".repeat(900_000);
        long start = System.nanoTime();
        DecodeException e = refused(change("", image(",\"n\":{\"N\":\"" + digits + "\"}"), NOW_MILLIS, null));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ATTRIBUTE_VALUE);
        assertThat(e.getMessage()).contains("38 significant digits").hasSizeLessThan(300);
        // Not a timing assertion on speed: a quadratic parse of 900,000 digits takes tens of seconds.
        assertThat(millis).as("refused without parsing the digits").isLessThan(5_000);
    }

    @Test
    void theEventTimeBoundsAreConfigurable() throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of(
                "lake.uri", "s3://lake/cdc", "input.earliestEventTime", "2024-01-01T00:00:00Z",
                "input.maxEventTimeAheadSeconds", "0"));
        ChangeRecordDecoder strict = new ChangeRecordDecoder(false, cfg.input().eventTimeBounds());
        long before = Instant.parse("2023-12-31T23:59:59Z").toEpochMilli();
        long ahead = System.currentTimeMillis() + 60_000;
        for (long millis : new long[] {before, ahead}) {
            DecodeException e = catchThrowableOfType(DecodeException.class, () -> strict.decode(SourceRecord.of(
                    "shardId-000000000000", SequenceNumber.of(1), 1, change("", image(""), millis, null)
                            .getBytes(StandardCharsets.UTF_8))));
            assertThat(e.code()).as("event time %d", millis).isEqualTo(ErrorCode.EVENT_TIME_OUT_OF_RANGE);
            assertThat(e.getMessage()).contains("input.earliestEventTime");
        }
        assertThat(strict.decode(SourceRecord.of("shardId-000000000000", SequenceNumber.of(1), 1,
                change("", image(""), NOW_MILLIS, null).getBytes(StandardCharsets.UTF_8))).tableName()).isEqualTo("orders");
        assertThat(decoder.decode(SourceRecord.of("shardId-000000000000", SequenceNumber.of(1), 1,
                change("", image(""), before, null).getBytes(StandardCharsets.UTF_8))).tableName())
                .as("the default bounds allow 2023").isEqualTo("orders");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
                        Map.of("lake.uri", "s3://lake/cdc", "input.earliestEventTime", "last tuesday")))
                .hasMessageContaining("input.earliestEventTime");
    }

    @Test
    void whatDynamoDbAllowsStillDecodes() throws Exception {
        String ok = change("", image(",\"n\":{\"N\":\"-0.00012345678901234567890123456789012345678E-10\"},"
                + "\"z\":{\"N\":\"100000000000000000000000000000000000000000\"},"
                + "\"e\":{\"S\":\"\\uD83D\\uDE00\"}"), NOW_MILLIS, null);
        ChangeRecord c = decoder.decode(SourceRecord.of("shardId-000000000000", SequenceNumber.of(1), NOW_MILLIS * 1000,
                ok.getBytes(StandardCharsets.UTF_8)));
        assertThat(c.tableName()).isEqualTo("orders");
    }
}
