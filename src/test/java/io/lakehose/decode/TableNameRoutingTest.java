package io.lakehose.decode;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A record's table name becomes a path segment, so only a valid DynamoDB table name is used
 * (docs/design.md, "Input"); a bad record whose table was read goes to that table's error output.
 */
class TableNameRoutingTest {

    private final ChangeRecordDecoder decoder = new ChangeRecordDecoder();

    private static SourceRecord record(String json) {
        return SourceRecord.of("shardId-000000000000", SequenceNumber.of(7), 1_732_521_600_000_000L,
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static String change(String tableJson, String newImage) {
        return "{\"eventID\":\"e1\",\"eventName\":\"INSERT\",\"tableName\":" + tableJson + ",\"awsRegion\":\"us-east-1\","
                + "\"dynamodb\":{\"ApproximateCreationDateTime\":1732521600123,\"Keys\":{\"id\":{\"S\":\"1\"}},"
                + "\"NewImage\":" + newImage + "},\"eventSource\":\"aws:dynamodb\"}";
    }

    @Test
    void tableNamesThatAreNoDynamoDbNamesAreRefusedNotUsedAsPaths() {
        for (String name : List.of("\"../x\"", "\"People/dt=1999-01-01/hour=00/injected\"", "\"a\\u0000b\"", "\"ab\"",
                "\"" + "t".repeat(300) + "\"", "\"tab le\"", "\"\"")) {
            DecodeException e = catchThrowableOfType(DecodeException.class,
                    () -> decoder.decode(record(change(name, "{\"id\":{\"S\":\"1\"}}"))));
            assertThat(e).as(name).isNotNull();
            assertThat(e.code()).as(name).isEqualTo(ErrorCode.INVALID_TABLE_NAME);
            assertThat(e.tableName()).as("an invalid name is never a path: " + name).isEmpty();
            assertThat(e.getMessage()).doesNotContain("\u0000").hasSizeLessThan(300);
        }
        assertThat(TableNames.isValid("Orders.v2-prod_1")).isTrue();
    }

    @Test
    void aBadRecordKeepsItsTableWhenTheTableWasReadBeforeTheProblem() throws Exception {
        DecodeException afterTable = catchThrowableOfType(DecodeException.class,
                () -> decoder.decode(record(change("\"orders\"", "{\"id\":{\"N\":\"not a number\"}}"))));
        assertThat(afterTable.code()).isEqualTo(ErrorCode.INVALID_ATTRIBUTE_VALUE);
        assertThat(afterTable.tableName()).contains("orders");

        DecodeException truncated = catchThrowableOfType(DecodeException.class,
                () -> decoder.decode(record("{\"eventID\":\"e1\",\"tableName\":\"orders\",\"dynamodb\":{")));
        assertThat(truncated.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(truncated.tableName()).contains("orders");

        DecodeException unknown = catchThrowableOfType(DecodeException.class,
                () -> decoder.decode(record("[1, 2]")));
        assertThat(unknown.tableName()).as("no table to be read").isEmpty();

        assertThat(decoder.decode(record(change("\"orders\"", "{\"id\":{\"S\":\"1\"}}"))).tableName()).isEqualTo("orders");
    }
}
