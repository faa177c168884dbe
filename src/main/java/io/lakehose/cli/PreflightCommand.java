package io.lakehose.cli;

import io.lakehose.config.LakehoseConfig;
import io.lakehose.preflight.CheckResult;
import io.lakehose.preflight.Preflight;
import io.lakehose.preflight.PreflightReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Checks every permission `run` needs, without writing data to the lake. */
@Command(name = "preflight", mixinStandardHelpOptions = true,
        description = {"Check, without writing data, every permission `run` needs: read the stream; read and write "
                + "the lease table (conditional writes that cannot apply); list the lake prefix and start, upload a "
                + "part of and abort a multipart upload with the SSE-KMS headers (no object is left); GenerateDataKey "
                + "and Decrypt on the KMS key; AssumeRole on s3.roleArn when set; with lake.format iceberg or both, "
                + "open the Iceberg catalog and read the configured namespace (nothing is created).",
                "Prints one line per check, and for each failure the missing permission, the resource and the "
                        + "policy statement that fixes it. Exit code 0: all passed (warnings allowed); 1: a check "
                        + "failed; 2: bad usage or configuration."})
final class PreflightCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration.")
    Path config;

    @Override
    public Integer call() throws Exception {
        LakehoseConfig cfg = ConfigFiles.loadWithStream(config, "preflight");
        List<CheckResult> results;
        try (DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build()) {
            results = Preflight.run(cfg, credentials);
        }
        PreflightReport.print(results, System.out);
        return PreflightReport.exitCode(results);
    }
}
