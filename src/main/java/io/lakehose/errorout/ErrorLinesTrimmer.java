package io.lakehose.errorout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.buffer.PrivateFiles;
import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.decode.SequenceNumber;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Trims an error-output file (JSON lines, optionally gzip) to the lines after a mark, each line
 * copied as it was written. Lines name their record by {@code sequence_number} and
 * {@code sub_sequence_number}.
 */
public final class ErrorLinesTrimmer implements FileTrimmer {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Optional<SealedFile> rowsAfter(SealedFile file, SequenceNumber mark) throws IOException {
        boolean gzip = file.extension().endsWith(".gz");
        Path out = file.spoolFile().resolveSibling(file.spoolFile().getFileName() + ".after-" + mark + ".tmp");
        long kept = 0;
        SequenceNumber first = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(file.spoolFile(), gzip),
                StandardCharsets.UTF_8));
             Writer w = new OutputStreamWriter(create(out, gzip), StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                SequenceNumber sequence = position(JSON.readTree(line));
                if (sequence.compareTo(mark) > 0) {
                    w.write(line);
                    w.write('\n');
                    first = first == null ? sequence : first;
                    kept++;
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
        if (kept == 0) {
            Files.deleteIfExists(out);
            return Optional.empty();
        }
        return Optional.of(file.tail(out, Files.size(out), kept, first));
    }

    @Override
    public List<SequenceNumber> positions(SealedFile file) throws IOException {
        List<SequenceNumber> positions = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(file.spoolFile(),
                file.extension().endsWith(".gz")), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) {
                    positions.add(position(JSON.readTree(line)));
                }
            }
        }
        return positions;
    }

    private static SequenceNumber position(JsonNode line) {
        return new SequenceNumber(line.path("sequence_number").asText(), line.path("sub_sequence_number").asLong());
    }

    private static InputStream open(Path file, boolean gzip) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        return gzip ? new GZIPInputStream(in, 64 * 1024) : in;
    }

    private static OutputStream create(Path file, boolean gzip) throws IOException {
        OutputStream out = new BufferedOutputStream(PrivateFiles.newOutputStream(file), 64 * 1024);
        return gzip ? new GZIPOutputStream(out, 64 * 1024) : out;
    }
}
