package io.lakehose.local;

import io.lakehose.testing.EmulatorAccess;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.PrintStream;
import java.net.URI;

/**
 * {@code rows --endpoint-url URL s3://BUCKET/}: prints the rows of the lake in a running local
 * stack's bucket, in the shape of the aws CLI command the banner prints beside it.
 */
final class RowsCommand {

    static final String NAME = "rows";
    private static final String USAGE = "usage: rows --endpoint-url http://127.0.0.1:PORT s3://BUCKET/";

    private RowsCommand() {
    }

    /** The command line that prints the rows of {@code bucket} on the emulator at {@code endpoint}. */
    static String commandLine(String launcher, URI endpoint, String bucket) {
        return launcher + " " + NAME + " --endpoint-url " + endpoint + " s3://" + bucket + "/";
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        URI endpoint = null;
        String bucket = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--endpoint-url") && i + 1 < args.length) {
                endpoint = URI.create(args[++i]);
            } else if (args[i].startsWith("s3://")) {
                bucket = URI.create(args[i]).getHost();
            } else {
                err.println(USAGE);
                return 2;
            }
        }
        if (endpoint == null || bucket == null) {
            err.println(USAGE);
            return 2;
        }
        try (S3Client s3 = EmulatorAccess.configure(S3Client.builder(), endpoint).forcePathStyle(true).build()) {
            new LakeRows(s3, bucket).print(out);
            return 0;
        } catch (SdkClientException e) {
            err.println("error: nothing answers at " + endpoint + " (is ./lakehose-local running?): " + e.getMessage());
            return 1;
        }
    }
}
