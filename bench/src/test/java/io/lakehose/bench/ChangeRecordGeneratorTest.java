package io.lakehose.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.decode.ChangeRecord;
import io.lakehose.decode.ChangeRecordDecoder;
import io.lakehose.decode.DecodeException;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import io.lakehose.partition.LakeLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ChangeRecordGeneratorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() {
        List<byte[]> a = ChangeRecordGenerator.generate(500, 700, 7);
        List<byte[]> b = ChangeRecordGenerator.generate(500, 700, 7);
        List<byte[]> c = ChangeRecordGenerator.generate(500, 700, 8);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).isEqualTo(b.get(i));
        }
        assertThat(a.get(0)).isNotEqualTo(c.get(0));
    }

    @ParameterizedTest
    @ValueSource(ints = {700, 2048})
    void meanSizeIsCloseToTheTarget(int target) {
        double mean = ChangeRecordGenerator.generate(5000, target, 1).stream().mapToInt(r -> r.length).average().orElse(0);
        assertThat(mean).isBetween(target * 0.93, target * 1.07);
    }

    @Test
    void smallTargetsGiveTheSmallestRealisticRecords() {
        // The fixed envelope of the AWS format is about 380 bytes: a 300-byte target cannot be met.
        double mean = ChangeRecordGenerator.generate(5000, 300, 1).stream().mapToInt(r -> r.length).average().orElse(0);
        assertThat(mean).isBetween(380.0, 480.0);
    }

    @ParameterizedTest
    @ValueSource(ints = {300, 700, 2048})
    void everyRecordHasTheAwsShapeAndDecodes(int target) throws Exception {
        ChangeRecordDecoder decoder = new ChangeRecordDecoder();
        Map<String, Integer> events = new HashMap<>();
        Set<String> types = new HashSet<>();
        int ttl = 0;
        long seq = 1;
        for (byte[] r : ChangeRecordGenerator.generate(3000, target, 3)) {
            JsonNode n = JSON.readTree(r);
            List<String> fields = new ArrayList<>();
            n.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactly("awsRegion", "eventID", "eventName", "userIdentity", "recordFormat",
                    "tableName", "dynamodb", "eventSource");
            assertThat(n.get("eventID").asText()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            assertThat(n.get("recordFormat").asText()).isEqualTo("application/json");
            assertThat(n.get("eventSource").asText()).isEqualTo("aws:dynamodb");
            JsonNode ddb = n.get("dynamodb");
            assertThat(ddb.get("ApproximateCreationDateTime").isIntegralNumber()).isTrue();
            assertThat(ddb.get("ApproximateCreationDateTimePrecision").asText()).isEqualTo("MILLISECOND");
            assertThat(ddb.get("SizeBytes").asLong()).isPositive();
            String event = n.get("eventName").asText();
            events.merge(event, 1, Integer::sum);
            assertThat(ddb.has("NewImage")).isEqualTo(!event.equals("REMOVE"));
            assertThat(ddb.has("OldImage")).isEqualTo(!event.equals("INSERT"));
            if (!n.get("userIdentity").isNull()) {
                assertThat(event).isEqualTo("REMOVE");
                assertThat(n.get("userIdentity").get("principalId").asText()).isEqualTo("dynamodb.amazonaws.com");
                ttl++;
            }
            for (String image : List.of("NewImage", "OldImage")) {
                if (ddb.has(image)) {
                    collectTypes(ddb.get(image), types);
                    Iterator<String> keys = ddb.get("Keys").fieldNames();
                    keys.forEachRemaining(k -> assertThat(ddb.get(image).get(k)).isEqualTo(ddb.get("Keys").get(k)));
                }
            }
            ChangeRecord c = decode(decoder, r, seq++);
            assertThat(c.eventName()).isEqualTo(event);
        }
        assertThat(events.keySet()).containsExactlyInAnyOrder("INSERT", "MODIFY", "REMOVE");
        assertThat(events.get("MODIFY")).isGreaterThan(events.get("INSERT"));
        assertThat(ttl).isPositive();
        if (target >= 2048) {
            assertThat(types).contains("S", "N", "BOOL", "M", "L", "SS", "NS", "B", "NULL");
        } else if (target >= 700) {
            assertThat(types).contains("S", "N", "BOOL", "M", "L", "SS");
        }
    }

    @Test
    void longDecimalsKeepEveryDigit() throws Exception {
        ChangeRecordDecoder decoder = new ChangeRecordDecoder();
        int checked = 0;
        for (byte[] r : ChangeRecordGenerator.generate(2000, 2048, 5)) {
            JsonNode img = JSON.readTree(r).get("dynamodb").get("NewImage");
            if (img == null || !img.has("ledgerBalance")) {
                continue;
            }
            String digits = img.get("ledgerBalance").get("N").asText();
            assertThat(digits.replace("-", "").replace(".", "")).hasSize(38);
            String plain = new String(decode(decoder, r, 1).newImageJson(), StandardCharsets.UTF_8);
            assertThat(plain).contains("\"ledgerBalance\":" + digits);
            checked++;
        }
        assertThat(checked).isPositive();
    }

    @Test
    void eventTimesAdvanceOverSeveralHourPartitions() throws Exception {
        ChangeRecordGenerator g = new ChangeRecordGenerator(11, 700, ChangeRecordGenerator.DEFAULT_START_MILLIS, 40);
        Set<Long> hours = new HashSet<>();
        long last = Long.MIN_VALUE;
        int late = 0;
        for (int i = 0; i < 300_000; i++) {
            byte[] r = g.next();
            long t = JSON.readTree(r).get("dynamodb").get("ApproximateCreationDateTime").asLong();
            assertThat(t).isEqualTo(g.lastEventMillis());
            if (t < last) {
                late++;
            }
            last = Math.max(last, t);
            hours.add(LakeLayout.epochHour(t * 1000));
        }
        assertThat(hours).hasSizeGreaterThanOrEqualTo(3);
        assertThat(late).isBetween(1000, 12_000); // about 2 % arrive a little out of order
    }

    @Test
    void jsonLinesAreOneRecordPerLine() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long bytes = ChangeRecordGenerator.writeJsonl(out, 100, 700, 9);
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(bytes).isEqualTo(out.size());
        assertThat(lines).hasSize(100);
        assertThat(lines[0].getBytes(StandardCharsets.UTF_8)).isEqualTo(ChangeRecordGenerator.generate(1, 700, 9).get(0));
    }

    private static ChangeRecord decode(ChangeRecordDecoder d, byte[] r, long seq) throws DecodeException {
        return d.decode(SourceRecord.of("shardId-000000000000", SequenceNumber.of(seq), 0, r));
    }

    private static void collectTypes(JsonNode item, Set<String> types) {
        item.fields().forEachRemaining(e -> {
            String tag = e.getValue().fieldNames().next();
            types.add(tag);
            JsonNode v = e.getValue().get(tag);
            if (tag.equals("M")) {
                collectTypes(v, types);
            } else if (tag.equals("L")) {
                v.forEach(el -> {
                    String t = el.fieldNames().next();
                    types.add(t);
                    if (t.equals("M")) {
                        collectTypes(el.get("M"), types);
                    }
                });
            }
        });
    }
}
