package io.lakehose.encode;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One table's typed schema: the user's Avro record of DynamoDB attributes, validated, and the
 * Parquet row schema built from it.
 *
 * <h2>The user's schema (an {@code .avsc} file)</h2>
 * An Avro record whose fields are top-level DynamoDB attribute names. Field types:
 * <ul>
 *   <li>{@code string}, {@code long}, {@code int}, {@code double}, {@code float}, {@code boolean},
 *       {@code bytes};</li>
 *   <li>{@code decimal}: {@code bytes} or {@code fixed} with {@code "logicalType": "decimal"},
 *       precision 1..38 (the most Athena, Spark and DuckDB read, and the most digits an N holds);</li>
 *   <li>{@code long} with {@code timestamp-millis} or {@code timestamp-micros} (an N holding an
 *       epoch time);</li>
 *   <li>{@code array} of any of these (from L, SS, NS or BS), {@code map} with string keys
 *       (from M), and nested {@code record} (from M; fields are the nested attribute names);</li>
 *   <li>{@code ["null", T]} or {@code [T, "null"]}; other unions, enums, plain fixed, other
 *       logical types and recursive records are rejected.</li>
 * </ul>
 *
 * <h2>The row schema</h2>
 * The envelope's metadata columns ({@link EnvelopeSchema#METADATA_FIELDS}, same names, types and
 * order; {@code old_image} stays plain JSON), then one column per attribute in the order of the
 * file, then {@link #DRIFT_ATTRIBUTES}. Every attribute column, and every field of a nested
 * record, is nullable whatever the file says: any attribute may be absent from an item, and a
 * REMOVE has no NewImage at all. Array elements and map values keep the nullability declared
 * (a NULL element in a non-nullable array is drift). Named types are reused, so a record type
 * referenced twice is one Parquet group type written twice.
 *
 * <h2>Rejected names</h2>
 * A top-level field named like a metadata column or {@code drift_attributes} would clash, and
 * two fields differing only in case would be one column for Athena, Glue and Hive (they ignore
 * case); both are rejected, ignoring case. Such attributes can still be left out of the schema:
 * they then land in {@code drift_attributes}. Avro field names cannot hold every DynamoDB
 * attribute name ({@code first-name}); those attributes also stay in drift.
 *
 * <p>Immutable and thread-safe.
 */
public final class TypedSchema {

    /** Nullable string column: a plain-JSON object of the NewImage attributes that did not fit. */
    public static final String DRIFT_ATTRIBUTES = "drift_attributes";

    /** The most digits Athena, Spark and DuckDB read in a DECIMAL, and that DynamoDB keeps in an N. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    private static final Set<String> RESERVED = reservedNames();

    /** Where an attribute goes in a row and how its value is converted. */
    record Column(String attribute, int position, AttributeConverter converter) {
    }

    private final String table;
    private final Path source;
    private final Schema attributes;
    private final Schema rowSchema;
    private final Map<String, Column> columns;
    private final int[] metadataPositions;
    private final int driftPosition;

    private TypedSchema(String table, Path source, Schema attributes, Schema rowSchema, Map<String, Column> columns) {
        this.table = table;
        this.source = source;
        this.attributes = attributes;
        this.rowSchema = rowSchema;
        this.columns = Map.copyOf(columns);
        this.metadataPositions = EnvelopeRowEncoder.metadataPositions(rowSchema);
        this.driftPosition = rowSchema.getField(DRIFT_ATTRIBUTES).pos();
    }

    /** Reads and validates {@code file}, the typed schema of {@code table}. */
    public static TypedSchema load(String table, Path file) throws SchemaConfigException {
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw SchemaConfigException.of(table, file, "the file does not exist");
        } catch (AccessDeniedException e) {
            throw SchemaConfigException.of(table, file, "the file is not readable (permission denied)");
        } catch (MalformedInputException e) {
            throw SchemaConfigException.of(table, file, "the file is not UTF-8 text");
        } catch (IOException e) {
            throw SchemaConfigException.of(table, file, "the file cannot be read: " + e);
        }
        Schema parsed;
        try {
            // A new parser per file: named types of one file must not leak into another.
            parsed = new Schema.Parser().parse(json);
        } catch (AvroRuntimeException e) {
            throw SchemaConfigException.of(table, file, "not a valid Avro schema: " + firstLine(e.getMessage()));
        }
        return of(table, parsed, file);
    }

    /**
     * Validates an already parsed schema; {@code source} is only named in messages.
     *
     * @throws SchemaConfigException listing every problem of the schema at once
     */
    public static TypedSchema of(String table, Schema attributes, Path source) throws SchemaConfigException {
        Builder b = new Builder(table, source);
        if (attributes.getType() != Schema.Type.RECORD) {
            throw SchemaConfigException.of(table, source, "the schema is " + describe(attributes)
                    + ", not a record of attributes");
        }
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : EnvelopeSchema.SCHEMA.getFields()) {
            if (EnvelopeSchema.METADATA_FIELDS.contains(f.name())) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        List<Builder.NamedField> attributeFields = b.fields("", attributes, RESERVED);
        Map<String, Column> columns = new LinkedHashMap<>();
        for (Builder.NamedField nf : attributeFields) {
            columns.put(nf.name(), new Column(nf.name(), fields.size(), nf.converter()));
            fields.add(new Schema.Field(nf.name(), nf.schema(), nf.doc(), Schema.Field.NULL_DEFAULT_VALUE));
        }
        fields.add(new Schema.Field(DRIFT_ATTRIBUTES, nullable(Schema.create(Schema.Type.STRING)),
                "NewImage attributes that are not in the typed schema or did not convert to their type,"
                        + " as a plain-JSON object; null when every attribute fit",
                Schema.Field.NULL_DEFAULT_VALUE));
        if (!b.problems.isEmpty()) {
            throw new SchemaConfigException(b.problems);
        }
        Schema row = Schema.createRecord(attributes.getName(), attributes.getDoc(), attributes.getNamespace(),
                false, fields);
        try {
            // Same list structure as ParquetFileWriter: fail at start, not at the first row.
            PlainParquetConfiguration conf = new PlainParquetConfiguration();
            conf.set(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, "false");
            new AvroSchemaConverter(conf).convert(row);
        } catch (RuntimeException e) {
            throw SchemaConfigException.of(table, source, "parquet-avro cannot write this schema: " + e.getMessage());
        }
        return new TypedSchema(table, source, attributes, row, columns);
    }

    public String table() {
        return table;
    }

    /** The file the schema came from. */
    public Path source() {
        return source;
    }

    /** The user's schema of attributes, as configured. */
    public Schema attributeSchema() {
        return attributes;
    }

    /** The schema of the Parquet rows: metadata, one column per attribute, drift. */
    public Schema rowSchema() {
        return rowSchema;
    }

    /** The column of a top-level attribute, or null if it is not in the schema. */
    Column column(String attribute) {
        return columns.get(attribute);
    }

    /** Positions of {@link EnvelopeSchema#METADATA_FIELDS} in the row (a copy). */
    int[] metadataPositions() {
        return metadataPositions.clone();
    }

    int driftPosition() {
        return driftPosition;
    }

    private static Schema nullable(Schema s) {
        return Schema.createUnion(Schema.create(Schema.Type.NULL), s);
    }

    private static String describe(Schema s) {
        return switch (s.getType()) {
            case UNION -> "a union";
            case ARRAY -> "an array";
            case ENUM -> "an enum";
            case INT -> "an int";
            default -> "a " + s.getType().getName();
        };
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable schema";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static Set<String> reservedNames() {
        Set<String> names = new HashSet<>(EnvelopeSchema.METADATA_FIELDS);
        names.add(DRIFT_ATTRIBUTES);
        return Set.copyOf(names);
    }

    /** Walks the user's schema once, collecting every problem instead of stopping at the first. */
    private static final class Builder {

        /** A validated type: the Avro type to write, its converter, and whether NULL is allowed. */
        record Built(Schema schema, AttributeConverter converter, boolean nullable) {
        }

        /** A record field, always nullable. */
        record NamedField(String name, String doc, Schema schema, AttributeConverter converter) {
        }

        private final String table;
        private final Path source;
        final List<String> problems = new ArrayList<>();
        private final Map<String, Built> records = new HashMap<>();
        private final Set<String> inProgress = new HashSet<>();
        /** Records already reported as invalid: a second reference must not repeat the problems. */
        private final Set<String> failed = new HashSet<>();

        Builder(String table, Path source) {
            this.table = table;
            this.source = source;
        }

        /**
         * The fields of {@code record} as nullable columns; {@code reserved} are lower-case names
         * that must not be used. Invalid fields are reported and left out.
         */
        List<NamedField> fields(String prefix, Schema record, Set<String> reserved) {
            List<NamedField> out = new ArrayList<>();
            Map<String, String> byLowerCase = new HashMap<>();
            inProgress.add(record.getFullName());
            for (Schema.Field f : record.getFields()) {
                String path = prefix + f.name();
                String lower = f.name().toLowerCase(Locale.ROOT);
                if (reserved.contains(lower)) {
                    problem(path, "clashes with the " + (lower.equals(DRIFT_ATTRIBUTES) ? "drift column" : "metadata column")
                            + " '" + lower + "' (names are compared ignoring case); leave the attribute out of"
                            + " the schema and it is kept in " + DRIFT_ATTRIBUTES);
                    continue;
                }
                String other = byLowerCase.putIfAbsent(lower, f.name());
                if (other != null) {
                    problem(path, "differs only in case from field '" + prefix + other
                            + "'; Athena, Glue and Hive would see one column");
                    continue;
                }
                Built b = type(path, f.schema());
                if (b != null) {
                    out.add(new NamedField(f.name(), f.doc(), nullable(b.schema()),
                            AttributeConverter.nullable(b.converter())));
                }
            }
            inProgress.remove(record.getFullName());
            return out;
        }

        /** The non-null type of {@code s}, or null after reporting why it is not supported. */
        Built type(String path, Schema s) {
            String logical = s.getProp(LogicalType.LOGICAL_TYPE_PROP);
            if (logical != null && s.getLogicalType() == null) {
                // Avro's parser silently drops a logical type it finds invalid.
                problem(path, "has an invalid or unknown logicalType '" + logical + "'"
                        + (logical.equals("decimal") ? " (precision must be at least 1, scale between 0 and"
                        + " precision, and a fixed must be large enough for the precision)" : ""));
                return null;
            }
            switch (s.getType()) {
                case UNION -> {
                    return union(path, s);
                }
                case STRING -> {
                    return plain(path, s, AttributeConverter.string());
                }
                case BOOLEAN -> {
                    return plain(path, s, AttributeConverter.bool());
                }
                case INT -> {
                    return plain(path, s, AttributeConverter.intValue());
                }
                case FLOAT -> {
                    return plain(path, s, AttributeConverter.floatValue());
                }
                case DOUBLE -> {
                    return plain(path, s, AttributeConverter.doubleValue());
                }
                case LONG -> {
                    if (s.getLogicalType() == null
                            || s.getLogicalType() instanceof LogicalTypes.TimestampMillis
                            || s.getLogicalType() instanceof LogicalTypes.TimestampMicros) {
                        return new Built(s, AttributeConverter.longValue(), false);
                    }
                    return unsupportedLogicalType(path, s);
                }
                case BYTES -> {
                    if (s.getLogicalType() == null) {
                        return new Built(s, AttributeConverter.bytes(), false);
                    }
                    return decimal(path, s);
                }
                case FIXED -> {
                    if (s.getLogicalType() == null) {
                        problem(path, "is a fixed without logicalType decimal; use bytes for binary attributes");
                        return null;
                    }
                    return decimal(path, s);
                }
                case ARRAY -> {
                    if (s.getLogicalType() != null) {
                        return unsupportedLogicalType(path, s);
                    }
                    Built element = type(path + "[]", s.getElementType());
                    return element == null ? null
                            : new Built(Schema.createArray(element(element)), AttributeConverter.array(elementConverter(element)), false);
                }
                case MAP -> {
                    if (s.getLogicalType() != null) {
                        return unsupportedLogicalType(path, s);
                    }
                    Built value = type(path + "{}", s.getValueType());
                    return value == null ? null
                            : new Built(Schema.createMap(element(value)), AttributeConverter.map(elementConverter(value)), false);
                }
                case RECORD -> {
                    return record(path, s);
                }
                case ENUM -> {
                    problem(path, "is an enum, which is not supported (DynamoDB has no enum type; use string)");
                    return null;
                }
                case NULL -> {
                    problem(path, "has type null; use [\"null\", T] with the attribute's type T");
                    return null;
                }
                default -> {
                    problem(path, "has unsupported type " + s.getType().getName());
                    return null;
                }
            }
        }

        private Built union(String path, Schema s) {
            List<Schema> types = s.getTypes();
            if (types.size() == 2
                    && (types.get(0).getType() == Schema.Type.NULL) != (types.get(1).getType() == Schema.Type.NULL)) {
                Schema inner = types.get(0).getType() == Schema.Type.NULL ? types.get(1) : types.get(0);
                Built b = type(path, inner);
                return b == null ? null : new Built(b.schema(), b.converter(), true);
            }
            problem(path, "is the union " + s + "; only [\"null\", T] is supported (an attribute of"
                    + " varying type is kept in " + DRIFT_ATTRIBUTES + " when it does not fit)");
            return null;
        }

        private Built plain(String path, Schema s, AttributeConverter converter) {
            if (s.getLogicalType() != null) {
                return unsupportedLogicalType(path, s);
            }
            return new Built(s, converter, false);
        }

        private Built decimal(String path, Schema s) {
            if (!(s.getLogicalType() instanceof LogicalTypes.Decimal d)) {
                return unsupportedLogicalType(path, s);
            }
            if (d.getPrecision() > MAX_DECIMAL_PRECISION) {
                problem(path, "is a decimal of precision " + d.getPrecision() + "; at most "
                        + MAX_DECIMAL_PRECISION + " is supported (Athena, Spark and DuckDB read no more)");
                return null;
            }
            return new Built(s, AttributeConverter.decimal(s), false);
        }

        private Built record(String path, Schema s) {
            String name = s.getFullName();
            Built done = records.get(name);
            if (done != null || failed.contains(name)) {
                return done;
            }
            if (inProgress.contains(name)) {
                problem(path, "uses record '" + name + "' inside itself; Parquet cannot store recursive types");
                return null;
            }
            if (s.getFields().isEmpty()) {
                problem(path, "is a record without fields; Parquet cannot store an empty group");
                failed.add(name);
                return null;
            }
            int before = problems.size();
            List<NamedField> nested = fields(path + ".", s, Set.of());
            if (problems.size() != before) {
                failed.add(name);
                return null;
            }
            List<Schema.Field> fields = new ArrayList<>();
            Map<String, Integer> positions = new HashMap<>();
            AttributeConverter[] converters = new AttributeConverter[nested.size()];
            for (NamedField nf : nested) {
                positions.put(nf.name(), fields.size());
                converters[fields.size()] = nf.converter();
                fields.add(new Schema.Field(nf.name(), nf.schema(), nf.doc(), Schema.Field.NULL_DEFAULT_VALUE));
            }
            Schema out = Schema.createRecord(s.getName(), s.getDoc(), s.getNamespace(), false, fields);
            Built b = new Built(out, AttributeConverter.record(out, Map.copyOf(positions), converters), false);
            records.put(name, b);
            return b;
        }

        private static Schema element(Built b) {
            return b.nullable() ? nullable(b.schema()) : b.schema();
        }

        private static AttributeConverter elementConverter(Built b) {
            return b.nullable() ? AttributeConverter.nullable(b.converter()) : b.converter();
        }

        private Built unsupportedLogicalType(String path, Schema s) {
            problem(path, "has logicalType '" + s.getLogicalType().getName() + "' on " + s.getType().getName()
                    + ", which is not supported (supported: decimal on bytes or fixed, timestamp-millis and"
                    + " timestamp-micros on long)");
            return null;
        }

        private void problem(String path, String what) {
            problems.add(SchemaConfigException.problem(table, source, "field '" + path + "' " + what));
        }
    }
}
