package io.lakehose.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A DynamoDB export to S3, read from its manifests: {@code manifest-summary.json} (export time,
 * format, where the file list is) and {@code manifest-files.json} (one JSON object per line,
 * each naming a gzipped data file by its S3 key).
 *
 * @param exportId   the last part of the export ARN; names the backfill's files
 * @param exportTime the point in time the export shows: the rows' event_time
 * @param itemCount  items in the export (from the summary), or -1
 * @param dataFiles  S3 keys of the data files, in manifest order
 */
record ExportManifest(String exportArn, String exportId, String tableArn, Instant exportTime, long itemCount,
                      List<String> dataFiles) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ExportManifest read(ExportLocation location) throws IOException {
        JsonNode summary;
        try (InputStream in = location.open(location.summaryKey())) {
            summary = JSON.readTree(in);
        }
        String format = text(summary, "outputFormat", location);
        if (!"DYNAMODB_JSON".equals(format)) {
            throw new BackfillArgumentException("export " + location + " is in " + format
                    + " format; backfill reads DYNAMODB_JSON exports (ION is not supported)");
        }
        String arn = text(summary, "exportArn", location);
        String id = arn.substring(arn.lastIndexOf('/') + 1);
        Instant time = Instant.parse(text(summary, "exportTime", location));
        long count = summary.path("itemCount").asLong(-1);
        String filesKey = text(summary, "manifestFilesS3Key", location);
        List<String> dataFiles = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(location.open(filesKey),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.isBlank()) {
                    dataFiles.add(text(JSON.readTree(line), "dataFileS3Key", location));
                }
            }
        }
        return new ExportManifest(arn, id, summary.path("tableArn").asText(""), time, count, List.copyOf(dataFiles));
    }

    private static String text(JsonNode node, String field, ExportLocation location) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new BackfillArgumentException("export manifest of " + location + " has no " + field
                    + "; is this the AWSDynamoDB/<export-id>/ folder of a DynamoDB export?");
        }
        return v.asText();
    }
}
