package io.lakehose.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Deterministic generator of realistic change records as DynamoDB's "Kinesis Data Streams for
 * DynamoDB" integration writes them (docs/design.md, "Input"): compact JSON, the fields in the order
 * AWS writes them, typed attribute values, a NEW_AND_OLD_IMAGES stream view.
 *
 * <p>What it produces: an INSERT / MODIFY / REMOVE mix of about 30 / 60 / 10 %, a third of the
 * REMOVEs made by the TTL service; items of one "orders" table with a mix of S (a few with
 * non-ASCII text), N (integers, money, 38-digit and tiny decimals), BOOL, NULL, M, L, SS, NS
 * and B values; a MODIFY's OldImage differs from its NewImage in a few attributes. Event times
 * (ApproximateCreationDateTime, milliseconds) advance by a random 1..2*step-1 ms per record,
 * with about 2 % of the records a little late (out of order, as AWS allows), so a long run
 * crosses several hour partitions.
 *
 * <p>Record size: each record aims at {@code targetBytes} +-30 % (uniform), by adding attributes
 * to the item (four core ones, then others in a random order, as DynamoDB items are sparse), so
 * the mean size of many records is close to {@code targetBytes}. The fixed
 * envelope of the format (eventID, recordFormat, precision, ...) is about 380 bytes with the
 * smallest item, so smaller targets give records of that floor.
 *
 * <p>The same seed, target and parameters always give the same bytes. Not thread-safe.
 */
public final class ChangeRecordGenerator {

    /** 2024-11-25T09:42:17Z: not on an hour boundary, so the first partition is a partial hour. */
    public static final long DEFAULT_START_MILLIS = 1_732_527_737_000L;
    public static final int DEFAULT_STEP_MILLIS = 5;
    public static final String TABLE = "orders";
    public static final String REGION = "us-east-1";

    private static final JsonFactory JSON = new JsonFactory();
    private static final int ENVELOPE_BYTES = 331;
    private static final String[] FIRST = {"Adam", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Kenji", "Olivia",
            "Mateo", "Zoë", "Björn", "Amélie", "Noah", "Priya", "Chloé", "Omar", "Ines", "Jakub", "Léa", "Emre"};
    private static final String[] LAST = {"Smith", "Müller", "Chen", "Khan", "Novak", "García", "Tanaka", "Rossi",
            "Dubois", "Kowalski", "O'Brien", "Jensen", "Silva", "Nguyen", "Fischer", "Haddad", "Ivanova", "Park"};
    private static final String[] CITIES = {"Seattle", "Berlin", "São Paulo", "Tokyo", "Lyon", "Austin", "Kraków",
            "Toronto", "Mumbai", "Zürich", "Dublin", "Nairobi", "Melbourne", "Oslo", "Chicago", "Málaga"};
    private static final String[] STREETS = {"Main St", "Oak Avenue", "Hauptstraße", "Rue de Rivoli", "Calle Mayor",
            "Elm Road", "Pine Street", "King's Way", "Harbour Drive", "Market Square"};
    private static final String[] COUNTRIES = {"US", "DE", "BR", "JP", "FR", "CA", "PL", "IN", "CH", "IE", "KE", "AU"};
    private static final String[] STATUS = {"PENDING", "PAID", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"};
    private static final String[] CHANNELS = {"web", "ios", "android", "store", "partner-api"};
    private static final String[] CURRENCIES = {"USD", "EUR", "GBP", "JPY", "BRL", "INR", "CHF"};
    private static final String[] TAGS = {"gift", "express", "fragile", "b2b", "promo", "first-order", "subscription",
            "vip", "eco", "bulk", "pre-order", "international"};
    private static final String[] WORDS = {"please", "leave", "the", "parcel", "at", "front", "door", "call",
            "before", "delivery", "ring", "twice", "side", "entrance", "no", "signature", "required", "back",
            "office", "reception", "building", "floor", "gate", "code", "weekend", "only", "after", "5pm"};
    private static final String[] CARRIERS = {"UPS", "DHL", "FedEx", "USPS", "La Poste", "Royal Mail", "Yamato"};

    private final SplittableRandom rnd;
    private final int targetBytes;
    private final int stepMillis;
    private final boolean compositeKey;
    private final ByteArrayBuilder buf = new ByteArrayBuilder(4096);
    private long clockMillis;
    private long lastEventMillis;

    /** Records of about {@code targetBytes} from {@link #DEFAULT_START_MILLIS}, 5 ms apart on average. */
    public ChangeRecordGenerator(long seed, int targetBytes) {
        this(seed, targetBytes, DEFAULT_START_MILLIS, DEFAULT_STEP_MILLIS);
    }

    /**
     * @param startMillis event time of the first record (epoch ms)
     * @param stepMillis  mean advance of the event time per record (>= 1)
     */
    public ChangeRecordGenerator(long seed, int targetBytes, long startMillis, int stepMillis) {
        if (targetBytes <= 0) {
            throw new IllegalArgumentException("targetBytes must be positive");
        }
        if (stepMillis < 1) {
            throw new IllegalArgumentException("stepMillis must be at least 1");
        }
        this.rnd = new SplittableRandom(seed);
        this.targetBytes = targetBytes;
        this.stepMillis = stepMillis;
        this.clockMillis = startMillis;
        // Small records: a table with a single "id" key, as in the AWS example. Otherwise pk + sk.
        this.compositeKey = targetBytes >= 600;
    }

    /** {@code count} records of about {@code targetBytes} each, from the defaults of start time and step. */
    public static List<byte[]> generate(int count, int targetBytes, long seed) {
        ChangeRecordGenerator g = new ChangeRecordGenerator(seed, targetBytes);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(g.next());
        }
        return out;
    }

    /**
     * Writes {@code count} records as JSON lines (the input format of {@code convert}).
     *
     * @return bytes written
     */
    public static long writeJsonl(OutputStream out, int count, int targetBytes, long seed) throws IOException {
        ChangeRecordGenerator g = new ChangeRecordGenerator(seed, targetBytes);
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            byte[] r = g.next();
            out.write(r);
            out.write('\n');
            bytes += r.length + 1;
        }
        return bytes;
    }

    /** Event time (ApproximateCreationDateTime, epoch ms) of the record last returned by {@link #next()}. */
    public long lastEventMillis() {
        return lastEventMillis;
    }

    /** The next record's JSON (UTF-8, one line, no trailing newline), of the table {@value #TABLE}. */
    public byte[] next() {
        return next(TABLE);
    }

    /** The same, of table {@code tableName}: the name draws nothing from the seed, so other tables' records match. */
    public byte[] next(String tableName) {
        clockMillis += 1 + rnd.nextInt(2 * stepMillis - 1);
        long eventMillis = rnd.nextInt(50) == 0 ? clockMillis - rnd.nextInt(2000) : clockMillis;
        lastEventMillis = eventMillis;

        int pick = rnd.nextInt(100);
        String eventName = pick < 30 ? "INSERT" : pick < 90 ? "MODIFY" : "REMOVE";
        boolean ttl = eventName.equals("REMOVE") && rnd.nextInt(3) == 0;

        Map<String, Object> keys = keys();
        int images = eventName.equals("MODIFY") ? 2 : 1;
        int recordTarget = (int) Math.round(targetBytes * (0.7 + 0.6 * rnd.nextDouble()));
        Map<String, Object> item = item(keys, eventMillis, ttl, recordTarget, images);
        Map<String, Object> newImage = eventName.equals("REMOVE") ? null : item;
        Map<String, Object> oldImage = switch (eventName) {
            case "MODIFY" -> previousVersion(item, eventMillis);
            case "REMOVE" -> item;
            default -> null;
        };
        long sizeBytes = ddbSize(keys) + (newImage == null ? 0 : ddbSize(newImage))
                + (oldImage == null ? 0 : ddbSize(oldImage));
        return render(tableName, eventName, ttl, eventMillis, keys, newImage, oldImage, sizeBytes);
    }

    // ---- items -------------------------------------------------------------------------------

    private Map<String, Object> keys() {
        Map<String, Object> k = new LinkedHashMap<>();
        if (compositeKey) {
            k.put("pk", s("CUSTOMER#" + pad(rnd.nextInt(2_000_000), 8)));
            k.put("sk", s("ORDER#" + pad(rnd.nextInt(100_000_000), 9)));
        } else {
            k.put("id", s(Integer.toString(100_000 + rnd.nextInt(900_000))));
        }
        return k;
    }

    private static final int CORE_ATTRIBUTES = 4;

    /** Attribute templates: the first {@link #CORE_ATTRIBUTES} in every item, then as many others as the size allows. */
    private static final String[] ATTRIBUTES = {
            "status", "updatedAt", "amount", "version", "customerName", "createdAt", "currency", "quantity",
            "email", "isPaid", "shippingAddress", "tags", "lineItems", "channel", "discountRate", "ttl",
            "loyaltyPoints", "notes", "carrier", "trackingNumber", "giftWrap", "billingAddress", "exchangeRate",
            "preferences", "scores", "sessionId", "couponCode", "lifetimeValue", "referrer", "weightKg",
            "deliveryWindow", "warehouseIds", "riskScore", "phone", "signature", "cancelReason", "attempts",
            "ledgerBalance", "history", "metadata"};

    private Map<String, Object> item(Map<String, Object> keys, long eventMillis, boolean ttl, int recordTarget,
                                     int images) {
        Map<String, Object> item = new LinkedHashMap<>(keys);
        // The envelope (331 bytes with a 3-digit SizeBytes), the Keys object, and per image its
        // field name (12) and the key attributes it repeats; each attribute then adds its JSON.
        int size = ENVELOPE_BYTES + (ttl ? 53 : 0) + jsonSize(keys) + images * (12 + jsonSize(keys));
        String[] order = attributeOrder();
        int skipped = 0;
        for (int i = 0; skipped < 3; i++) {
            String name = i < order.length ? order[i] : "attr" + i;
            Object v = value(name, eventMillis, i);
            int add = images * (name.length() + 3 + jsonSize(v) + 1);
            // Keep the size closest to the target: skip an attribute that overshoots more than it
            // helps (a smaller one may follow); stop after three such. At least one attribute.
            if (item.size() > keys.size() && size + add - recordTarget > recordTarget - size) {
                skipped++;
                continue;
            }
            item.put(name, v);
            size += add;
        }
        return item;
    }

    /** The first four attributes in every item, the others in a random order per item (sparse items). */
    private String[] attributeOrder() {
        String[] order = ATTRIBUTES.clone();
        for (int i = order.length - 1; i > CORE_ATTRIBUTES; i--) {
            int j = CORE_ATTRIBUTES + rnd.nextInt(i - CORE_ATTRIBUTES + 1);
            String t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The item before a MODIFY: a few attributes had other values, the version was one less. */
    private Map<String, Object> previousVersion(Map<String, Object> item, long eventMillis) {
        Map<String, Object> old = new LinkedHashMap<>(item);
        List<String> names = new ArrayList<>(item.keySet());
        int keyCount = compositeKey ? 2 : 1;
        int changes = 1 + rnd.nextInt(3);
        for (int c = 0; c < changes && names.size() > keyCount; c++) {
            String name = names.get(keyCount + rnd.nextInt(names.size() - keyCount)); // never a key
            if (name.equals("version") || name.equals("updatedAt")) {
                continue;
            }
            old.put(name, value(name, DEFAULT_START_MILLIS, names.indexOf(name)));
        }
        Object v = item.get("version");
        if (v instanceof Typed t && t.tag.equals("N")) {
            long n = Long.parseLong((String) t.value);
            old.put("version", n(Long.toString(Math.max(0, n - 1))));
        }
        if (item.containsKey("status")) {
            old.put("status", s(STATUS[rnd.nextInt(STATUS.length)]));
        }
        if (item.containsKey("updatedAt")) {
            old.put("updatedAt", s(iso(eventMillis - 1000 - rnd.nextLong(7L * 86_400_000L))));
        }
        return old;
    }

    private Object value(String name, long eventMillis, int index) {
        return switch (name) {
            case "status" -> s(STATUS[rnd.nextInt(STATUS.length)]);
            case "updatedAt" -> s(iso(eventMillis));
            case "createdAt" -> s(iso(eventMillis - rnd.nextLong(90L * 86_400_000L)));
            case "amount" -> n(money(100_000));
            case "version" -> n(Integer.toString(1 + rnd.nextInt(40)));
            case "customerName" -> s(FIRST[rnd.nextInt(FIRST.length)] + " " + LAST[rnd.nextInt(LAST.length)]);
            case "currency" -> s(CURRENCIES[rnd.nextInt(CURRENCIES.length)]);
            case "quantity", "attempts" -> n(Integer.toString(1 + rnd.nextInt(12)));
            case "email" -> s(FIRST[rnd.nextInt(8)].toLowerCase() + "." + rnd.nextInt(10_000) + "@example.com");
            case "isPaid", "giftWrap" -> new Typed("BOOL", rnd.nextBoolean());
            case "shippingAddress", "billingAddress" -> address();
            case "tags" -> ss(TAGS, 1 + rnd.nextInt(4));
            case "lineItems" -> lineItems(1 + rnd.nextInt(compositeKey ? 4 : 2));
            case "channel" -> s(CHANNELS[rnd.nextInt(CHANNELS.length)]);
            case "discountRate" -> n("0." + pad(rnd.nextInt(1000), 3));
            case "ttl" -> n(Long.toString(eventMillis / 1000 + 30L * 86_400));
            case "loyaltyPoints" -> n(Integer.toString(rnd.nextInt(250_000)));
            case "notes" -> s(words(4 + rnd.nextInt(12)));
            case "carrier" -> s(CARRIERS[rnd.nextInt(CARRIERS.length)]);
            case "trackingNumber" -> s("1Z" + pad(rnd.nextLong(1_000_000_000_000L), 12) + "X" + rnd.nextInt(10));
            // Up to 38 significant digits, and tiny values: these must survive without a double.
            case "exchangeRate" -> n("0.000" + digits(31));
            case "ledgerBalance" -> n((rnd.nextBoolean() ? "-" : "") + (1 + rnd.nextInt(9)) + digits(19) + "." + digits(18));
            case "lifetimeValue" -> n(money(10_000_000));
            case "preferences" -> preferences();
            case "scores" -> new Typed("L", List.of(n(Integer.toString(rnd.nextInt(100))),
                    n(Integer.toString(rnd.nextInt(100))), n("0." + digits(6))));
            case "sessionId" -> s(uuid());
            case "couponCode" -> s("SAVE" + rnd.nextInt(50) + "-" + pad(rnd.nextInt(100_000), 5));
            case "referrer" -> s("https://www.example.com/p/" + pad(rnd.nextInt(1_000_000), 6) + "?utm_source=newsletter");
            case "weightKg" -> n(rnd.nextInt(40) + "." + pad(rnd.nextInt(1000), 3));
            case "deliveryWindow" -> deliveryWindow(eventMillis);
            case "warehouseIds" -> ns(1 + rnd.nextInt(4));
            case "riskScore" -> rnd.nextInt(5) == 0 ? new Typed("NULL", true) : n("0." + digits(4));
            case "phone" -> s("+1-" + pad(rnd.nextInt(1000), 3) + "-555-" + pad(rnd.nextInt(10_000), 4));
            case "signature" -> b(24 + rnd.nextInt(24));
            case "cancelReason" -> rnd.nextBoolean() ? new Typed("NULL", true) : s(words(3 + rnd.nextInt(5)));
            case "history" -> history(eventMillis);
            case "metadata" -> metadata();
            default -> generic(index);
        };
    }

    private Object address() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("street", s((1 + rnd.nextInt(999)) + " " + STREETS[rnd.nextInt(STREETS.length)]));
        m.put("city", s(CITIES[rnd.nextInt(CITIES.length)]));
        m.put("zip", s(pad(rnd.nextInt(100_000), 5)));
        m.put("country", s(COUNTRIES[rnd.nextInt(COUNTRIES.length)]));
        return new Typed("M", m);
    }

    private Object lineItems(int count) {
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sku", s("SKU-" + pad(rnd.nextInt(1_000_000), 6)));
            m.put("qty", n(Integer.toString(1 + rnd.nextInt(5))));
            m.put("unitPrice", n(money(50_000)));
            items.add(new Typed("M", m));
        }
        return new Typed("L", items);
    }

    private Object preferences() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("newsletter", new Typed("BOOL", rnd.nextBoolean()));
        m.put("language", s(rnd.nextBoolean() ? "en-US" : "de-DE"));
        m.put("notifications", ss(new String[]{"email", "sms", "push"}, 1 + rnd.nextInt(3)));
        return new Typed("M", m);
    }

    private Object deliveryWindow(long eventMillis) {
        Map<String, Object> m = new LinkedHashMap<>();
        long from = eventMillis + (1 + rnd.nextInt(5)) * 86_400_000L;
        m.put("from", s(iso(from)));
        m.put("to", s(iso(from + 4 * 3_600_000L)));
        return new Typed("M", m);
    }

    private Object history(long eventMillis) {
        List<Object> l = new ArrayList<>();
        int count = 1 + rnd.nextInt(3);
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", s(iso(eventMillis - rnd.nextInt(86_400_000))));
            m.put("status", s(STATUS[rnd.nextInt(STATUS.length)]));
            m.put("by", s(rnd.nextBoolean() ? "system" : "agent-" + rnd.nextInt(300)));
            l.add(new Typed("M", m));
        }
        return new Typed("L", l);
    }

    private Object metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", s(CHANNELS[rnd.nextInt(CHANNELS.length)]));
        m.put("ip", s(rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256)));
        m.put("userAgent", s("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/" + (100 + rnd.nextInt(30)) + ".0"));
        return new Typed("M", m);
    }

    /** Attributes past the named ones (very large targets): a rotation of the plain types. */
    private Object generic(int index) {
        return switch (index % 5) {
            case 0 -> s(words(3 + rnd.nextInt(8)));
            case 1 -> n(money(1_000_000));
            case 2 -> new Typed("BOOL", rnd.nextBoolean());
            case 3 -> ss(TAGS, 1 + rnd.nextInt(3));
            default -> address();
        };
    }

    // ---- rendering ---------------------------------------------------------------------------

    private byte[] render(String tableName, String eventName, boolean ttl, long eventMillis, Map<String, Object> keys,
                          Map<String, Object> newImage, Map<String, Object> oldImage, long sizeBytes) {
        buf.reset();
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("awsRegion", REGION);
            g.writeStringField("eventID", uuid());
            g.writeStringField("eventName", eventName);
            if (ttl) {
                g.writeObjectFieldStart("userIdentity");
                g.writeStringField("type", "Service");
                g.writeStringField("principalId", "dynamodb.amazonaws.com");
                g.writeEndObject();
            } else {
                g.writeNullField("userIdentity");
            }
            g.writeStringField("recordFormat", "application/json");
            g.writeStringField("tableName", tableName);
            g.writeObjectFieldStart("dynamodb");
            g.writeNumberField("ApproximateCreationDateTime", eventMillis);
            g.writeStringField("ApproximateCreationDateTimePrecision", "MILLISECOND");
            g.writeFieldName("Keys");
            writeMap(g, keys);
            if (newImage != null) {
                g.writeFieldName("NewImage");
                writeMap(g, newImage);
            }
            if (oldImage != null) {
                g.writeFieldName("OldImage");
                writeMap(g, oldImage);
            }
            g.writeNumberField("SizeBytes", sizeBytes);
            g.writeEndObject();
            g.writeStringField("eventSource", "aws:dynamodb");
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory: cannot happen
        }
        return buf.toByteArray();
    }

    private static void writeMap(JsonGenerator g, Map<String, Object> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            g.writeFieldName(e.getKey());
            writeTyped(g, (Typed) e.getValue());
        }
        g.writeEndObject();
    }

    @SuppressWarnings("unchecked")
    private static void writeTyped(JsonGenerator g, Typed t) throws IOException {
        g.writeStartObject();
        g.writeFieldName(t.tag);
        switch (t.tag) {
            case "S", "N", "B" -> g.writeString((String) t.value);
            case "BOOL", "NULL" -> g.writeBoolean((Boolean) t.value);
            case "M" -> writeMap(g, (Map<String, Object>) t.value);
            case "L" -> {
                g.writeStartArray();
                for (Object o : (List<Object>) t.value) {
                    writeTyped(g, (Typed) o);
                }
                g.writeEndArray();
            }
            default -> { // SS, NS, BS
                g.writeStartArray();
                for (Object o : (List<Object>) t.value) {
                    g.writeString((String) o);
                }
                g.writeEndArray();
            }
        }
        g.writeEndObject();
    }

    /** Compact JSON size of a typed value or an attribute map; strings never need escaping here. */
    @SuppressWarnings("unchecked")
    private static int jsonSize(Object v) {
        if (v instanceof Map<?, ?> m) {
            int size = 2 + Math.max(0, m.size() - 1);
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                size += utf8(e.getKey()) + 3 + jsonSize(e.getValue());
            }
            return size;
        }
        Typed t = (Typed) v;
        int inner = switch (t.tag) {
            case "S", "N", "B" -> utf8((String) t.value) + 2;
            case "BOOL", "NULL" -> (Boolean) t.value ? 4 : 5;
            case "M" -> jsonSize(t.value);
            case "L" -> {
                List<Object> l = (List<Object>) t.value;
                int s = 2 + Math.max(0, l.size() - 1);
                for (Object o : l) {
                    s += jsonSize(o);
                }
                yield s;
            }
            default -> {
                List<Object> l = (List<Object>) t.value;
                int s = 2 + Math.max(0, l.size() - 1);
                for (Object o : l) {
                    s += utf8((String) o) + 2;
                }
                yield s;
            }
        };
        return 2 + t.tag.length() + 3 + inner;
    }

    /** DynamoDB's item size rules, roughly: names plus values; numbers about one byte per two digits. */
    @SuppressWarnings("unchecked")
    private static long ddbSize(Object v) {
        if (v instanceof Map<?, ?> m) {
            long size = 0;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                size += utf8(e.getKey()) + ddbSize(e.getValue());
            }
            return size;
        }
        Typed t = (Typed) v;
        return switch (t.tag) {
            case "S" -> utf8((String) t.value);
            case "N" -> ((String) t.value).length() / 2 + 1;
            case "B" -> ((String) t.value).length() * 3L / 4;
            case "BOOL", "NULL" -> 1;
            case "M" -> 3 + ddbSize(t.value) + ((Map<?, ?>) t.value).size();
            case "L" -> {
                long s = 3;
                for (Object o : (List<Object>) t.value) {
                    s += 1 + ddbSize(o);
                }
                yield s;
            }
            default -> {
                long s = 0;
                for (Object o : (List<Object>) t.value) {
                    s += utf8((String) o);
                }
                yield s;
            }
        };
    }

    /** A typed DynamoDB value: tag S/N/B -> String, BOOL/NULL -> Boolean, M -> Map, L -> List of Typed, SS/NS/BS -> List of String. */
    private record Typed(String tag, Object value) {
    }

    private static Typed s(String v) {
        return new Typed("S", v);
    }

    private static Typed n(String v) {
        return new Typed("N", v);
    }

    private Typed b(int bytes) {
        byte[] raw = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            raw[i] = (byte) rnd.nextInt(256);
        }
        return new Typed("B", Base64.getEncoder().encodeToString(raw));
    }

    private Typed ss(String[] from, int count) {
        List<String> l = new ArrayList<>();
        int start = rnd.nextInt(from.length);
        for (int i = 0; i < count && i < from.length; i++) {
            l.add(from[(start + i) % from.length]);
        }
        return new Typed("SS", l);
    }

    private Typed ns(int count) {
        List<String> l = new ArrayList<>();
        int start = rnd.nextInt(90);
        for (int i = 0; i < count; i++) {
            l.add(Integer.toString(start + 3 * i + 1));
        }
        return new Typed("NS", l);
    }

    private String money(int maxWhole) {
        return rnd.nextInt(maxWhole) + "." + pad(rnd.nextInt(100), 2);
    }

    private String digits(int count) {
        StringBuilder sb = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            sb.append((char) ('0' + rnd.nextInt(10)));
        }
        return sb.toString();
    }

    private String words(int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    private String uuid() {
        long hi = (rnd.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L; // version 4
        long lo = (rnd.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L; // IETF variant
        return new UUID(hi, lo).toString();
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    private static String pad(long v, int width) {
        String s = Long.toString(v);
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }

    private static int utf8(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        return n;
    }
}
