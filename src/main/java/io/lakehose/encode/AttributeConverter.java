package io.lakehose.encode;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts one DynamoDB attribute value to the Avro value of one typed column, in the form
 * parquet-avro's {@code AvroWriteSupport} writes with the plain {@code GenericData} model:
 * {@code String}, {@code Long}/{@code Integer}, {@code Double}/{@code Float}, {@code Boolean},
 * {@code ByteBuffer} (bytes and bytes-decimals), {@code GenericFixed} (fixed-decimals),
 * {@code List}, {@code Map<String, ?>} and {@code GenericData.Record}.
 *
 * <p>A value that does not convert <em>exactly</em> yields {@link #MISMATCH} (a sentinel, not an
 * exception: drift may be frequent and must stay cheap). The caller then keeps the whole value
 * in the drift column. Rules:
 * <ul>
 *   <li>S to string; BOOL to boolean; B to bytes (base64-decoded).</li>
 *   <li>N to long/int only if the number is integral and in range ("1.0" and "1E+2" are; "1.5"
 *       is not); to decimal only if it fits precision and scale without rounding (parsed as a
 *       BigDecimal from the digits, never through a double); to double/float if finite and not
 *       flushed to zero, rounded to the nearest value as any reader of such a column expects.</li>
 *   <li>L to array if every element converts; SS/NS/BS to an array of string/number/bytes.</li>
 *   <li>M to a record if every nested attribute is a field of it and converts (absent fields
 *       are null); M to a map if every value converts.</li>
 *   <li>NULL to null where the Avro type is nullable (every column and record field is, array
 *       elements and map values only if declared as a union with null).</li>
 *   <li>Any other tag, or a value whose type differs from the declared one (an N for a string
 *       column, an S for a number), does not convert: there is no coercion between types.</li>
 * </ul>
 * Implementations are immutable and thread-safe.
 */
@FunctionalInterface
interface AttributeConverter {

    /** Returned when the value does not convert; never written to a row. */
    Object MISMATCH = new Object() {
        @Override
        public String toString() {
            return "MISMATCH";
        }
    };

    /**
     * Converts the content of a typed value: for {@code {"N": "12"}} the tag is {@code N} and
     * {@code content} is the text node {@code "12"}.
     */
    Object convert(String tag, JsonNode content);

    /** Converts a whole typed value object such as {@code {"S": "x"}}. */
    static Object convertTyped(AttributeConverter converter, JsonNode typed) {
        if (!typed.isObject() || typed.size() != 1) {
            return MISMATCH;
        }
        Map.Entry<String, JsonNode> e = typed.properties().iterator().next();
        return converter.convert(e.getKey(), e.getValue());
    }

    static AttributeConverter nullable(AttributeConverter inner) {
        return (tag, v) -> tag.equals("NULL") ? null : inner.convert(tag, v);
    }

    static AttributeConverter string() {
        return (tag, v) -> tag.equals("S") && v.isTextual() ? v.textValue() : MISMATCH;
    }

    static AttributeConverter bool() {
        return (tag, v) -> tag.equals("BOOL") && v.isBoolean() ? (Object) v.booleanValue() : MISMATCH;
    }

    static AttributeConverter bytes() {
        return (tag, v) -> {
            if (!tag.equals("B") || !v.isTextual()) {
                return MISMATCH;
            }
            try {
                return ByteBuffer.wrap(Base64.getDecoder().decode(v.textValue()));
            } catch (IllegalArgumentException e) {
                return MISMATCH;
            }
        };
    }

    /** N to long (also for timestamp-millis/micros columns, whose value is the number as is). */
    static AttributeConverter longValue() {
        return (tag, v) -> {
            if (!tag.equals("N") || !v.isTextual()) {
                return MISMATCH;
            }
            Long l = Numbers.exactLong(v.textValue());
            return l == null ? MISMATCH : l;
        };
    }

    static AttributeConverter intValue() {
        return (tag, v) -> {
            if (!tag.equals("N") || !v.isTextual()) {
                return MISMATCH;
            }
            Long l = Numbers.exactLong(v.textValue());
            return l == null || l != l.intValue() ? MISMATCH : (Object) l.intValue();
        };
    }

    static AttributeConverter doubleValue() {
        return (tag, v) -> {
            if (!tag.equals("N") || !v.isTextual() || !Numbers.isDecimalText(v.textValue())) {
                return MISMATCH;
            }
            String s = v.textValue();
            double d = Double.parseDouble(s);
            return Numbers.representable(d, s) ? (Object) d : MISMATCH;
        };
    }

    static AttributeConverter floatValue() {
        return (tag, v) -> {
            if (!tag.equals("N") || !v.isTextual() || !Numbers.isDecimalText(v.textValue())) {
                return MISMATCH;
            }
            String s = v.textValue();
            float f = Float.parseFloat(s);
            return Numbers.representable(f, s) ? (Object) f : MISMATCH;
        };
    }

    /** @param schema a bytes or fixed schema carrying a valid decimal logical type */
    static AttributeConverter decimal(Schema schema) {
        LogicalTypes.Decimal type = (LogicalTypes.Decimal) schema.getLogicalType();
        int precision = type.getPrecision();
        int scale = type.getScale();
        boolean fixed = schema.getType() == Schema.Type.FIXED;
        Conversions.DecimalConversion conversion = new Conversions.DecimalConversion();
        return (tag, v) -> {
            if (!tag.equals("N") || !v.isTextual()) {
                return MISMATCH;
            }
            BigDecimal d = Numbers.exactDecimal(v.textValue(), precision, scale);
            if (d == null) {
                return MISMATCH;
            }
            return fixed ? conversion.toFixed(d, schema, type) : conversion.toBytes(d, schema, type);
        };
    }

    /** L (typed elements) or SS/NS/BS (bare strings, read as S/N/B) to a list. */
    static AttributeConverter array(AttributeConverter element) {
        return (tag, v) -> {
            if (!v.isArray()) {
                return MISMATCH;
            }
            String setTag;
            switch (tag) {
                case "L" -> setTag = null;
                case "SS" -> setTag = "S";
                case "NS" -> setTag = "N";
                case "BS" -> setTag = "B";
                default -> {
                    return MISMATCH;
                }
            }
            List<Object> out = new ArrayList<>(v.size());
            for (JsonNode e : v) {
                Object c = setTag == null ? convertTyped(element, e) : element.convert(setTag, e);
                if (c == MISMATCH) {
                    return MISMATCH;
                }
                out.add(c);
            }
            return out;
        };
    }

    /** M to a map with the attribute names as keys. */
    static AttributeConverter map(AttributeConverter value) {
        return (tag, v) -> {
            if (!tag.equals("M") || !v.isObject()) {
                return MISMATCH;
            }
            Map<String, Object> out = new LinkedHashMap<>(Math.max(4, v.size() * 2));
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                Object c = convertTyped(value, e.getValue());
                if (c == MISMATCH) {
                    return MISMATCH;
                }
                out.put(e.getKey(), c);
            }
            return out;
        };
    }

    /**
     * M to a record of {@code schema}. {@code fields} maps each field name to its position and
     * the converter of its (nullable) type. An attribute that is not a field makes the whole M a
     * mismatch: dropping it would lose data.
     */
    static AttributeConverter record(Schema schema, Map<String, Integer> positions, AttributeConverter[] fields) {
        return (tag, v) -> {
            if (!tag.equals("M") || !v.isObject()) {
                return MISMATCH;
            }
            GenericData.Record out = new GenericData.Record(schema);
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                Integer pos = positions.get(e.getKey());
                if (pos == null) {
                    return MISMATCH;
                }
                Object c = convertTyped(fields[pos], e.getValue());
                if (c == MISMATCH) {
                    return MISMATCH;
                }
                out.put(pos, c);
            }
            return out;
        };
    }

    /** Exact number conversions from DynamoDB's N digit strings. */
    final class Numbers {

        private Numbers() {
        }

        /** The integral value of {@code s}, or null if it has a fraction or is out of range. */
        static Long exactLong(String s) {
            int n = s.length();
            if (n > 0 && n <= 18 && isPlainInteger(s)) {
                return Long.parseLong(s);
            }
            try {
                BigDecimal d = new BigDecimal(s);
                if (d.signum() == 0) {
                    return 0L;
                }
                // Strip first: "1E+999999999" must not be expanded into a billion digits.
                d = d.stripTrailingZeros();
                if (d.scale() > 0 || d.precision() - d.scale() > 19) {
                    return null;
                }
                return d.longValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                return null;
            }
        }

        /**
         * {@code s} with exactly {@code scale} fraction digits if that needs no rounding and the
         * result has at most {@code precision} digits, else null.
         */
        static BigDecimal exactDecimal(String s, int precision, int scale) {
            BigDecimal d;
            try {
                d = new BigDecimal(s);
            } catch (NumberFormatException e) {
                return null;
            }
            if (d.signum() == 0) {
                return BigDecimal.ZERO.setScale(scale);
            }
            d = d.stripTrailingZeros();
            // Checked before setScale so that extreme exponents never allocate huge numbers.
            if (d.scale() > scale || d.precision() - d.scale() > precision - scale) {
                return null;
            }
            return d.setScale(scale);
        }

        /** Only digits, signs, '.', 'e' and 'E': keeps Java's "NaN", "0x1p3", "1d" out. */
        static boolean isDecimalText(String s) {
            if (s.isEmpty()) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
                    return false;
                }
            }
            return true;
        }

        /** Finite, and not a non-zero number that underflowed to zero. */
        static boolean representable(double d, String s) {
            if (Double.isInfinite(d) || Double.isNaN(d)) {
                return false;
            }
            return d != 0 || !hasNonZeroDigit(s);
        }

        private static boolean hasNonZeroDigit(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 'e' || c == 'E') {
                    return false;
                }
                if (c >= '1' && c <= '9') {
                    return true;
                }
            }
            return false;
        }

        private static boolean isPlainInteger(String s) {
            int i = s.charAt(0) == '-' ? 1 : 0;
            if (i == s.length()) {
                return false;
            }
            for (; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
            }
            return true;
        }
    }
}
