package io.lakehose.maintain;

import org.apache.iceberg.ContentFile;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.PartitionStatisticsFile;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileIO;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The files some snapshots of a table reference: content files (data and delete files) with
 * their sizes, and the metadata that leads to them (manifest lists, manifests). Each manifest is
 * read once, however many snapshots share it.
 *
 * @param content  location to size of every data and delete file
 * @param manifests locations of the manifest lists and manifests
 */
record StoredFiles(Map<String, Long> content, Set<String> manifests) {

    static StoredFiles of(Table table, Iterable<Snapshot> snapshots) {
        FileIO io = table.io();
        Map<String, Long> content = new HashMap<>();
        Set<String> manifests = new HashSet<>();
        for (Snapshot s : snapshots) {
            if (s.manifestListLocation() != null) {
                manifests.add(s.manifestListLocation());
            }
            for (ManifestFile m : s.allManifests(io)) {
                if (manifests.add(m.path())) {
                    read(table, m, content);
                }
            }
        }
        return new StoredFiles(content, manifests);
    }

    /** Every file of the table's metadata that readers may open: metadata files, statistics, manifests. */
    static Set<String> metadata(Table table, StoredFiles all) {
        Set<String> files = new HashSet<>(all.manifests);
        files.addAll(ReachableFileUtil.metadataFileLocations(table, false));
        files.addAll(ReachableFileUtil.statisticsFilesLocations(table));
        table.partitionStatisticsFiles().stream().map(PartitionStatisticsFile::path).forEach(files::add);
        return files;
    }

    ActionReport.Count count() {
        return new ActionReport.Count(content.size(), content.values().stream().mapToLong(Long::longValue).sum());
    }

    private static void read(Table table, ManifestFile m, Map<String, Long> into) {
        try (ManifestReader<? extends ContentFile<?>> reader = m.content() == ManifestContent.DATA
                ? ManifestFiles.read(m, table.io(), table.specs())
                : ManifestFiles.readDeleteManifest(m, table.io(), table.specs())) {
            for (ContentFile<?> f : reader) {
                into.put(f.location(), f.fileSizeInBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + m.path(), e);
        }
    }

    /**
     * One spelling per file, for comparing a listing's names with the metadata's: S3's schemes
     * (s3a, s3n) as s3, local files as {@code file:/path}.
     */
    static String normalize(String location) {
        if (location.startsWith("s3a://") || location.startsWith("s3n://")) {
            return "s3" + location.substring(3);
        }
        if (location.startsWith("/")) {
            return "file:" + location;
        }
        if (location.startsWith("file:")) {
            try {
                return "file:" + new URI(location).getPath();
            } catch (URISyntaxException e) {
                return "file:" + location.substring("file:".length()).replaceFirst("^//", ""); // not encoded: as it is
            }
        }
        return location;
    }
}
