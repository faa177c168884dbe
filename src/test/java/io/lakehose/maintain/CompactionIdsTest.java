package io.lakehose.maintain;

import org.apache.iceberg.Schema;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.types.Types;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The field ids compaction writes: on every column, nested ones included, or no compaction. */
class CompactionIdsTest {

    private static final MessageType FILE = MessageTypeParser.parseMessageType("message row {\n"
            + "  required binary event_id (STRING);\n"
            + "  optional group skills (LIST) { repeated group list { optional binary element (STRING); } }\n"
            + "  optional group labels (MAP) { repeated group key_value { required binary key (STRING);"
            + " optional binary value (STRING); } }\n"
            + "}");

    private static final Schema TABLE = new Schema(
            Types.NestedField.required(1, "event_id", Types.StringType.get()),
            Types.NestedField.optional(2, "skills", Types.ListType.ofOptional(3, Types.StringType.get())),
            Types.NestedField.optional(4, "labels", Types.MapType.ofOptional(5, 6, Types.StringType.get(),
                    Types.StringType.get())));

    @Test
    void everyColumnGetsTheIdOfTheTablesNameMapping() {
        MessageType annotated = Compaction.withIds(FILE, MappingUtil.create(TABLE));
        assertThat(annotated.getType("event_id").getId().intValue()).isEqualTo(1);
        assertThat(annotated.getType("skills").asGroupType().getType("list").asGroupType().getType("element").getId()
                .intValue()).isEqualTo(3);
        assertThat(annotated.getType("labels").asGroupType().getType("key_value").asGroupType().getType("value").getId()
                .intValue()).isEqualTo(6);
    }

    @Test
    void aColumnTheMappingDoesNotNameRefusesTheCompaction() {
        Schema withoutLabels = new Schema(TABLE.columns().subList(0, 2));
        assertThatThrownBy(() -> Compaction.withIds(FILE, MappingUtil.create(withoutLabels)))
                .hasMessageContaining("labels").hasMessageContaining("nothing compacted");
    }
}
