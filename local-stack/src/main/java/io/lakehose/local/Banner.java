package io.lakehose.local;

import io.lakehose.commit.iceberg.ChangeLogTables;
import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.LocalAwsStack;

import java.io.PrintStream;
import java.nio.file.Path;

/** What the local stack prints once the worker reads the stream: where everything is, what to try. */
final class Banner {

    private Banner() {
    }

    static void print(PrintStream out, LocalAwsStack stack, Path config, int bufferSeconds, boolean consuming,
                      Path catalogDb) {
        String ddb = stack.dynamoDb().endpoint().toString();
        String s3 = stack.s3().endpoint().toString();
        String bucket = stack.s3().bucket();
        String table = ChangeLogTables.catalogName(LocalStackMain.TABLE);
        out.println("""

                lakehose local stack is up%s (emulators only; dummy credentials)
                  DynamoDB  %s   table %s (stream NEW_AND_OLD_IMAGES, bridged to Kinesis)
                  Kinesis   %s   stream %s (%d shards)
                  S3        %s   bucket %s (lake under lake/, errors under errors/)
                  worker    in this process, configuration %s, buffer interval %d s

                Try it (in another terminal):
                  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s
                  aws dynamodb put-item --endpoint-url %s --table-name %s --item '{"id":{"S":"1"},"name":{"S":"Adam"}}'
                Within the buffer interval its row is in a Parquet object in the bucket. To see the rows:
                  %s
                  aws s3 ls --endpoint-url %s s3://%s/lake/ --recursive
                The same rows go to the Iceberg change-log table %s.%s (lake.format both), committed every
                %d s: a JDBC catalog on SQLite, jdbc:sqlite:%s (catalog name %s), files under %s/.
                Read it with Spark (--conf spark.sql.catalog.%s=org.apache.iceberg.spark.SparkCatalog
                  --conf spark.sql.catalog.%s.type=jdbc --conf spark.sql.catalog.%s.uri=jdbc:sqlite:%s
                  and the S3 endpoint above), with DuckDB's iceberg_scan on the table's newest metadata file
                  under %s/%s/%s/metadata/, or, on AWS with iceberg.catalog type glue, with Athena.
                New objects in the bucket are listed below as they appear. Ctrl-C stops everything cleanly.
                """.formatted(consuming ? ": the worker reads the stream" : " (the worker has not taken its leases yet)",
                ddb, LocalStackMain.TABLE, stack.kinesis().endpoint(), LocalStackMain.STREAM, LocalStackMain.SHARDS,
                s3, bucket, config, bufferSeconds,
                EmulatorAccess.ACCESS_KEY, EmulatorAccess.SECRET_KEY, EmulatorAccess.REGION, ddb, LocalStackMain.TABLE,
                RowsCommand.commandLine(Launcher.command(), stack.s3().endpoint(), bucket), s3, bucket,
                LocalStackMain.NAMESPACE, table, bufferSeconds, catalogDb, LocalStackMain.CATALOG,
                LocalStackMain.warehouse(stack), LocalStackMain.CATALOG, LocalStackMain.CATALOG, LocalStackMain.CATALOG,
                catalogDb, LocalStackMain.warehouse(stack), LocalStackMain.NAMESPACE, table));
    }
}
