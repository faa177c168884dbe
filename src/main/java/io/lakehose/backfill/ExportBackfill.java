package io.lakehose.backfill;

import io.lakehose.aws.AwsCredentials;
import io.lakehose.config.LakehoseConfig;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code backfill --from-export}: the items of a DynamoDB export to S3 (point-in-time export,
 * DYNAMODB_JSON) instead of a Scan: no read capacity used, the cheaper path for large tables.
 * Each data file of the manifest is a unit; the rows' event_time is the export time.
 */
final class ExportBackfill {

    private final Backfill backfill;
    private final DynamoDbAsyncClient ddb;

    ExportBackfill(Backfill backfill, DynamoDbAsyncClient ddb) {
        this.backfill = backfill;
        this.ddb = ddb;
    }

    Backfill.Result run(Backfill.Options o) throws Exception {
        LakehoseConfig config = backfill.config();
        try (S3AsyncClient s3 = exportReader(config)) {
            ExportLocation location = ExportLocation.parse(o.fromExport().orElseThrow(), s3);
            ExportManifest manifest = ExportManifest.read(location);
            String table = o.table() == null || o.table().isBlank()
                    ? SourceTable.nameOf(manifest.tableArn()) : SourceTable.nameOf(o.table());
            List<String> keyNames = o.keyNames().isEmpty() ? describeKeys(o, manifest) : o.keyNames();
            ProgressStore progress = backfill.progressStore(table);
            Optional<BackfillProgress> saved = backfill.resumable(progress, o, location.toString(),
                    manifest.dataFiles().size());
            if (saved.isPresent() && saved.get().complete() && saved.get().runId().equals(manifest.exportId())) {
                return backfill.alreadyComplete(saved.get(), progress);
            }
            BackfillProgress p = saved.filter(s -> !s.complete()).orElseGet(() -> BackfillProgress.start(table,
                    location.toString(), manifest.exportId(), Backfill.micros(manifest.exportTime()),
                    manifest.dataFiles().size()));
            progress.save(p);
            BackfillStats stats = new BackfillStats(backfill.registry(), table, p.units().size(), p.unitsDone(),
                    p.items(), manifest.itemCount());
            BackfillContext ctx = backfill.context(table, p, progress, stats);
            backfill.out().printf("backfill %s: %s export %s (%d data files, %d items), export time %s%n", table,
                    saved.isPresent() ? "resuming" : "reading", manifest.exportId(), manifest.dataFiles().size(),
                    manifest.itemCount(), manifest.exportTime());
            List<Runnable> units = new ArrayList<>();
            for (BackfillProgress.Unit u : p.units()) {
                SnapshotRows rows = new SnapshotRows(table, config.backfill().region(), p.snapshotMicros(), keyNames,
                        p.runId());
                ExportDataFile file = new ExportDataFile(ctx, location, manifest.dataFiles().get(u.index()), u.index(),
                        rows);
                units.add(Backfill.unchecked(() -> file.run(u)));
            }
            backfill.runAll(units, o, new ProgressLine(stats, table, "data files"));
            return backfill.finished(progress, saved.isPresent(), stats);
        }
    }

    private List<String> describeKeys(Backfill.Options o, ExportManifest manifest) {
        String reference = manifest.tableArn().isBlank() ? o.table() : manifest.tableArn();
        try {
            return SourceTable.describe(ddb, reference).keyNames();
        } catch (RuntimeException e) {
            throw new BackfillArgumentException("cannot describe " + reference + " to learn its key attributes ("
                    + rootMessage(e) + "); name them with --keys, e.g. --keys pk,sk");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** The export's bucket is read with the source side's credentials (backfill.roleArn). */
    private static S3AsyncClient exportReader(LakehoseConfig config) {
        S3AsyncClientBuilder b = S3AsyncClient.builder()
                .region(Region.of(config.backfill().region()))
                .credentialsProvider(AwsCredentials.provider(config.backfill().role()))
                .forcePathStyle(config.s3().pathStyle());
        config.s3().endpoint().ifPresent(b::endpointOverride);
        return b.build();
    }
}
