package io.lakehose.commit.iceberg.state;

import io.lakehose.encode.EnvelopeSchema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Table;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A small data file of envelope rows written into a table's location (not committed), for upload tests. */
public final class StateFileWriting {

    private StateFileWriting() {
    }

    /** Three INSERTs of shard {@code shardId-000000000001}, sequence numbers 1 to 3. */
    public static DataFile threeRows(Table table) throws IOException {
        List<GenericRecord> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            GenericRecord r = new GenericData.Record(EnvelopeSchema.SCHEMA);
            r.put("event_id", "e" + i);
            r.put("event_name", "INSERT");
            r.put("table_name", "orders");
            r.put("event_time", 1_732_500_000_000_000L + i);
            r.put("keys", "{\"id\":" + i + "}");
            r.put("shard_id", "shardId-000000000001");
            r.put("sequence_number", Integer.toString(i + 1));
            r.put("sub_sequence_number", 0L);
            r.put("arrival_time", 1_732_500_000_000_000L);
            rows.add(r);
        }
        return StateFiles.writeData(table, EnvelopeSchema.SCHEMA, rows, "compacted");
    }
}
