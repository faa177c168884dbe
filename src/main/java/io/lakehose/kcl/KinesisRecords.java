package io.lakehose.kcl;

import io.lakehose.decode.SequenceNumber;
import io.lakehose.decode.SourceRecord;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** KCL records to the pipeline's SourceRecord (copies the payload out of KCL's buffer). */
final class KinesisRecords {

    private KinesisRecords() {
    }

    static List<SourceRecord> toSource(String shardId, List<KinesisClientRecord> records) {
        List<SourceRecord> out = new ArrayList<>(records.size());
        for (KinesisClientRecord r : records) {
            ByteBuffer data = r.data().duplicate();
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            long arrivalMicros = r.approximateArrivalTimestamp() == null ? System.currentTimeMillis() * 1000L
                    : r.approximateArrivalTimestamp().getEpochSecond() * 1_000_000L
                    + r.approximateArrivalTimestamp().getNano() / 1000L;
            out.add(SourceRecord.of(shardId, new SequenceNumber(r.sequenceNumber(), r.subSequenceNumber()),
                    arrivalMicros, bytes));
        }
        return out;
    }
}
