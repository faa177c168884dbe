package io.lakehose.commit.iceberg;

import io.lakehose.commit.iceberg.state.StateFileWriting;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An upload whose answer is lost after the store took its body (seen in IcebergStaleOwnerIT: a
 * proxy closed the connection, "Unexpected end of file from server") has landed, yet the file goes
 * again under a new name; the first copy is deleted at once instead of staying as an orphan.
 */
class FailedUploadCleanupTest {

    /** Local files whose next data-file write lands and then fails, as a lost answer does (no emulator loses answers on cue). */
    public static final class LostAnswerFileIO implements FileIO {
        static final AtomicBoolean LOSE_NEXT_ANSWER = new AtomicBoolean();
        private final LocalFileIO local = new LocalFileIO();

        @Override
        public InputFile newInputFile(String path) {
            return local.newInputFile(path);
        }

        @Override
        public OutputFile newOutputFile(String path) {
            OutputFile file = local.newOutputFile(path);
            if (!path.contains("/data/") || !LOSE_NEXT_ANSWER.getAndSet(false)) {
                return file;
            }
            return new OutputFile() {
                @Override
                public PositionOutputStream create() {
                    return createOrOverwrite();
                }

                @Override
                public PositionOutputStream createOrOverwrite() {
                    PositionOutputStream landed = file.createOrOverwrite();
                    return new PositionOutputStream() {
                        @Override
                        public long getPos() throws IOException {
                            return landed.getPos();
                        }

                        @Override
                        public void write(int b) throws IOException {
                            landed.write(b);
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            landed.write(b, off, len);
                        }

                        @Override
                        public void close() throws IOException {
                            landed.close(); // the store has the whole file ...
                            throw new SocketException("Unexpected end of file from server"); // ... the answer is lost
                        }
                    };
                }

                @Override
                public String location() {
                    return file.location();
                }

                @Override
                public InputFile toInputFile() {
                    return file.toInputFile();
                }
            };
        }

        @Override
        public void deleteFile(String path) {
            local.deleteFile(path);
        }
    }

    @TempDir
    Path dir;

    @Test
    void aFileWhoseUploadAnswerWasLostIsDeleted() throws Exception {
        Map<String, String> props = new HashMap<>(LocalWarehouse.writerProperties(dir));
        props.put("io-impl", LostAnswerFileIO.class.getName());
        try (JdbcCatalog catalog = (JdbcCatalog) CatalogUtil.buildIcebergCatalog("lakehose", props, null)) {
            catalog.createNamespace(Namespace.of("cdc"));
            Table table = catalog.buildTable(TableIdentifier.of("cdc", "orders"), ChangeLogTables.SCHEMA)
                    .withPartitionSpec(PartitionSpec.unpartitioned()).create();
            DataFile written = StateFileWriting.threeRows(table);
            Path parquet = Path.of(URI.create(written.location()));

            LostAnswerFileIO.LOSE_NEXT_ANSWER.set(true);
            assertThatThrownBy(() -> DataFileUpload.upload(table, parquet, "lost-answer"))
                    .hasMessageContaining("Unexpected end of file");

            assertThat(dataFiles(table)).as("data files after the failed upload").noneMatch(f -> f.startsWith("lost-answer"));
            DataFile again = DataFileUpload.upload(table, parquet, "lost-answer");
            assertThat(dataFiles(table)).filteredOn(f -> f.startsWith("lost-answer"))
                    .containsExactly(Path.of(URI.create(again.location())).getFileName().toString());
        }
    }

    private static List<String> dataFiles(Table table) throws IOException {
        Path data = Path.of(URI.create(table.location())).resolve("data");
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
        }
    }
}
