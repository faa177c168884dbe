package io.lakehose.local;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README walk-through, run by the program itself: three put-items on the DynamoDB Local
 * table become Parquet objects in the bucket within the buffer interval, and the stack stops
 * cleanly. (The rows themselves are checked value by value by the service's worker tests.)
 */
class LocalStackDemoTest {

    @Test
    void threePutItemsBecomeParquetInTheBucketAndTheStackStopsCleanly() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            code = LocalStackMain.run(true, 3);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("lakehose local stack is up")
                .contains("aws dynamodb put-item --endpoint-url http://127.0.0.1:")
                .containsPattern("new object: s3://[^ ]+/lake/table=example-ddb-table/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/[^~ ]+~shardId-[^ ]+\\.parquet")
                .contains("Parquet object(s) in the lake");
    }

    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
