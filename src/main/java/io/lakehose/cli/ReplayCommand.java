package io.lakehose.cli;

import io.lakehose.config.KinesisSettings;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.replay.LeaseTable;
import io.lakehose.replay.Replay;
import io.lakehose.replay.ReplayException;
import io.lakehose.replay.ReplayTarget;
import io.lakehose.replay.StreamShards;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import io.lakehose.kcl.StreamClientBuilders;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Rewrites the checkpoints in the KCL lease table so that the next start re-reads from there. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Reset the checkpoints in the KCL lease table so that the next start of the service re-reads "
                + "from there. Prints, shard by shard, the old and the new position. Records already in the lake are "
                + "skipped when read again, so a replay never duplicates rows.",
                "Refuses while a live worker holds leases (stop the service first), unless --force.",
                "Exit codes: 0 done, 2 bad arguments or configuration, 3 refused (live worker, or a lease changed "
                        + "meanwhile: without --force, or still with --force after 5 attempts)."})
final class ReplayCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration of the service.")
    Path config;

    @Option(names = "--to", required = true, paramLabel = "POSITION",
            description = "TRIM_HORIZON (all the stream holds), LATEST (skip to new records), AT_TIMESTAMP=<ISO-8601 "
                    + "instant> (records that arrived then or later), or a sequence number (the records after it; "
                    + "needs one --shard).")
    String to;

    @Option(names = "--shard", paramLabel = "ID", description = "Only this shard (repeatable; default: every shard). "
            + "Its child shards follow it back when it is moved before its end.")
    List<String> shards = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Do not check for a live worker: a worker holding the leases loses them. "
            + "A lease the worker renews meanwhile is read again and the write retried (5 attempts).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        ReplayTarget target;
        try {
            target = ReplayTarget.parse(to);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        LakehoseConfig cfg = ConfigFiles.loadWithStream(config, "replay");
        KinesisSettings k = cfg.kinesis();
        try (KinesisAsyncClient kinesis = StreamClientBuilders.kinesis(k).build();
             DynamoDbAsyncClient dynamo = StreamClientBuilders.leaseTable(k).build()) {
            Replay replay = new Replay(new LeaseTable(dynamo, k.applicationName()), new StreamShards(kinesis, k.stream()),
                    Duration.ofMillis(k.failoverTimeMillis()), Clock.systemUTC(), System.out, System.err);
            replay.run(new Replay.Request(target, List.copyOf(shards), dryRun, force));
            return 0;
        } catch (ReplayException e) {
            throw new UserError(e.getMessage(), e.kind() == ReplayException.Kind.REFUSED ? 3 : 2);
        }
    }
}
