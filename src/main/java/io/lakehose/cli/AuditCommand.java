package io.lakehose.cli;

import io.lakehose.audit.LakeAudit;
import io.lakehose.audit.LakeRepair;
import io.lakehose.commit.folders.StoredMarks;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.kcl.StreamClientBuilders;
import io.lakehose.pipeline.Pipelines;
import io.lakehose.replay.Lease;
import io.lakehose.replay.LeaseTable;
import io.lakehose.sink.LocalDirectoryStore;
import io.lakehose.sink.ObjectStore;
import io.lakehose.sink.S3ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code lakehose audit}: the fence's promise checked against the lake and the lease table. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Proves, per shard of kinesis.stream, that the lake's stored ranges never overlap (no record twice) "
                + "and reach the shard's lease checkpoint (nothing checkpointed missing at the end). Exit 0 when clean, "
                + "1 with one line per overlap or gap.")
final class AuditCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration of the service.")
    Path config;

    @Option(names = "--lake", paramLabel = "DIR", description = "Audit a lake in a local directory instead of lake.uri.")
    Path lake;

    @Option(names = "--no-checkpoints", description = "Do not read the lease table: check overlaps only.")
    boolean noCheckpoints;

    @Option(names = "--repair", description = "Remove rows stored twice where that is provably lossless: an overlapping "
            + "object whose rows up to its neighbour's end are all in that neighbour is replaced by its other rows (or "
            + "deleted). Run it with the workers stopped. Gaps are reported, never repaired (replay re-reads them).")
    boolean repair;

    @Override
    public Integer call() throws Exception {
        LakehoseConfig cfg = ConfigFiles.loadWithStream(config, "audit");
        String stream = Pipelines.streamScope(cfg);
        if (repair) {
            LakeWriterSetup.requireLoadableCodec(cfg); // a repair rewrites objects with parquet.compression
        }
        try (ObjectStore store = lake != null ? new LocalDirectoryStore(lake)
                : new S3ObjectStore(cfg.s3Settings(((LakehoseConfig.S3Target) cfg.target()).bucket()))) {
            Map<String, SequenceNumber> checkpoints = noCheckpoints ? Map.of() : checkpoints(cfg);
            LakeAudit audit = new LakeAudit(stream, key -> store.metadata(key)
                    .map(m -> m.get(StoredMarks.LAST)).map(SequenceNumber::parse));
            LakeAudit.Report report = audit.audit(keys(cfg, store), checkpoints);
            print(report, store, stream, checkpoints);
            if (repair && !report.overlaps().isEmpty()) {
                report = repair(report, audit, new LakeRepair(store, stream, Pipelines.trimmers(cfg), workDir()),
                        () -> keys(cfg, store), checkpoints);
                print(report, store, stream, checkpoints);
            }
            return report.clean() ? 0 : 1;
        }
    }

    private interface Keys {
        List<String> list() throws IOException;
    }

    /**
     * Repairs one overlap per chain, audits again, and so on until nothing is left that can be
     * repaired; every outcome is printed.
     */
    private static LakeAudit.Report repair(LakeAudit.Report report, LakeAudit audit, LakeRepair repairer, Keys keys,
                                           Map<String, SequenceNumber> checkpoints) throws IOException {
        Set<String> left = new HashSet<>();
        boolean progress = true;
        while (progress && !report.overlaps().isEmpty()) {
            progress = false;
            Set<String> chains = new HashSet<>();
            for (LakeAudit.Overlap o : report.overlaps()) {
                String chain = o.after().shardId() + " " + o.after().directory();
                if (left.contains(o.after().key()) || !chains.add(chain)) {
                    continue;
                }
                LakeRepair.Outcome outcome = repairer.repair(o);
                System.out.println((outcome.repaired() ? "REPAIRED " : "LEFT     ") + outcome.description());
                progress |= outcome.repaired();
                if (!outcome.repaired()) {
                    left.add(o.after().key());
                    chains.remove(chain); // unchanged: its next overlap can go this round
                }
            }
            report = audit.audit(keys.list(), checkpoints);
        }
        return report;
    }

    private Path workDir() throws IOException {
        Path dir = Files.createTempDirectory("lakehose-repair-");
        dir.toFile().deleteOnExit();
        return dir;
    }

    private List<String> keys(LakehoseConfig cfg, ObjectStore store) throws IOException {
        if (lake != null) {
            return walk(lake);
        }
        List<String> keys = new ArrayList<>(store.list(prefix(cfg.layout().prefix())));
        if (!cfg.layout().errorPrefix().equals(cfg.layout().prefix())) {
            keys.addAll(store.list(prefix(cfg.layout().errorPrefix())));
        }
        return keys;
    }

    private static void print(LakeAudit.Report report, ObjectStore store, String stream,
                              Map<String, SequenceNumber> checkpoints) {
        System.out.printf("audit of %s (stream %s): %d objects of %d shards, %d checkpoints; %d overlaps, %d gaps%n",
                store.describe(), stream, report.objects(), report.shards(), checkpoints.size(),
                report.overlaps().size(), report.gaps().size());
        report.overlaps().forEach(line -> System.out.println("OVERLAP  " + line));
        report.gaps().forEach(line -> System.out.println("GAP      " + line));
    }

    private static String prefix(String p) {
        return p.isEmpty() ? "" : p + "/";
    }

    private static List<String> walk(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(f -> root.relativize(f).toString().replace(File.separatorChar, '/'))
                    .filter(k -> !k.startsWith("_lakehose/"))
                    .sorted().toList();
        }
    }

    /** Each shard's checkpoint that is a sequence number (not TRIM_HORIZON, LATEST or SHARD_END). */
    private static Map<String, SequenceNumber> checkpoints(LakehoseConfig cfg) {
        Map<String, SequenceNumber> out = new TreeMap<>();
        try (DynamoDbAsyncClient dynamo = StreamClientBuilders.leaseTable(cfg.kinesis()).build()) {
            for (Lease lease : new LeaseTable(dynamo, cfg.kinesis().applicationName()).read()) {
                Optional.ofNullable(lease.checkpoint()).filter(c -> !c.isEmpty() && c.chars().allMatch(Character::isDigit))
                        .ifPresent(c -> out.put(lease.shardId(), new SequenceNumber(c, lease.subSequence())));
            }
        }
        return out;
    }
}
