package io.lakehose.commit.iceberg.state;

import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts an Iceberg schema's field ids on a Parquet schema with the same column names (what
 * parquet-avro makes of the rows' Avro schema), so the files are read by id, as Iceberg's own
 * readers do (its generic reader ignores a name mapping). Lists are the three-level
 * {@code list/element} structure, maps {@code key_value/key,value}.
 */
final class FieldIds {

    private FieldIds() {
    }

    static MessageType attach(MessageType parquet, Types.StructType iceberg) {
        return new MessageType(parquet.getName(), fields(parquet, iceberg));
    }

    private static List<org.apache.parquet.schema.Type> fields(GroupType group, Types.StructType struct) {
        List<org.apache.parquet.schema.Type> out = new ArrayList<>();
        for (org.apache.parquet.schema.Type f : group.getFields()) {
            Types.NestedField field = struct.field(f.getName());
            out.add(field == null ? f : withId(f, field.fieldId(), field.type()));
        }
        return out;
    }

    private static org.apache.parquet.schema.Type withId(org.apache.parquet.schema.Type f, int id, Type type) {
        if (f instanceof PrimitiveType || type.isPrimitiveType()) {
            return f.withId(id);
        }
        GroupType g = f.asGroupType();
        if (type instanceof Types.ListType list && g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation
                && g.getFieldCount() == 1 && !g.getType(0).isPrimitive() && g.getType(0).asGroupType().getFieldCount() == 1) {
            GroupType repeated = g.getType(0).asGroupType();
            org.apache.parquet.schema.Type element = withId(repeated.getType(0), list.elementId(), list.elementType());
            return g.withNewFields(repeated.withNewFields(element)).withId(id);
        }
        if (type instanceof Types.MapType map && g.getFieldCount() == 1 && !g.getType(0).isPrimitive()
                && g.getType(0).asGroupType().getFieldCount() == 2) {
            GroupType kv = g.getType(0).asGroupType();
            return g.withNewFields(kv.withNewFields(
                    withId(kv.getType(0), map.keyId(), map.keyType()),
                    withId(kv.getType(1), map.valueId(), map.valueType()))).withId(id);
        }
        if (type instanceof Types.StructType struct) {
            return g.withNewFields(fields(g, struct)).withId(id);
        }
        return f.withId(id);
    }
}
