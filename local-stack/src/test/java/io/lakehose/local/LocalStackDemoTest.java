package io.lakehose.local;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --demo}, in this JVM: three put-items on the DynamoDB Local table become rows in Parquet
 * objects in the bucket and in the Iceberg change-log table (lake.format both), printed, and the
 * stack stops cleanly. (The rows are checked value by
 * value by the service's worker tests; LocalStackWalkThroughIT walks through at a person's pace.)
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
        assertThat(out).contains("lakehose local stack is up: the worker reads the stream")
                .contains("aws dynamodb put-item --endpoint-url http://127.0.0.1:")
                .containsPattern("new object: s3://[^ ]+/lake/table=example-ddb-table/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/[^~ ]+~shardId-[^ ]+\\.parquet")
                .containsPattern("INSERT \\S+ keys=\\{\"id\":\"864732\"} new_image=\\{[^\\n]*\"name\":\"Adam\"")
                .containsPattern("INSERT \\S+ keys=\\{\"id\":\"864733\"} new_image=\\{[^\\n]*\"name\":\"Béatrice\"")
                .containsPattern("INSERT \\S+ keys=\\{\"id\":\"864734\"} new_image=\\{[^\\n]*\"name\":\"Chen 陈\"")
                .contains("3 row(s) in")
                .contains("3 row(s) in table local.example_ddb_table_changes")
                .contains("Iceberg change-log table local.example_ddb_table_changes")
                .contains("demo: the three puts are rows in the lake and in table local.example_ddb_table_changes");
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
