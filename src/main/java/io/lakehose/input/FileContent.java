package io.lakehose.input;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The records' bytes of one input file: decompressed when the file is GZIP (told by its magic
 * bytes, whatever its name: Firehose's objects have no extension), and only when they are JSON
 * text ({@link JsonTextCheck}). A file that is neither is refused before any of it is read as
 * records.
 */
record FileContent(InputStream stream, boolean gzip) {

    private static final int BUFFER = 1 << 16;
    /** How much of the start is checked: enough for a first record's head. */
    private static final int HEAD = 1 << 16;

    static FileContent open(InputFile file) throws IOException {
        InputStream raw = new BufferedInputStream(file.open(), BUFFER);
        try {
            boolean gzip = startsWithGzipMagic(raw);
            InputStream content = gzip ? new BufferedInputStream(gunzip(raw, file), BUFFER) : raw;
            byte[] head = head(content, gzip, file);
            Optional<String> problem = JsonTextCheck.problem(head, head.length);
            if (problem.isPresent()) {
                throw new InputRefusedException(file.name() + (gzip ? " is GZIP, but its content is not JSON text"
                        : " is neither GZIP nor JSON text") + " (starts with " + JsonTextCheck.hex(head, head.length, 8)
                        + "; " + problem.get() + ")");
            }
            return new FileContent(content, gzip);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** The first bytes of the content, left to be read again. */
    private static byte[] head(InputStream content, boolean gzip, InputFile file) throws IOException {
        content.mark(HEAD);
        byte[] head;
        try {
            head = content.readNBytes(HEAD);
        } catch (ZipException | EOFException e) {
            if (gzip) {
                throw new InputRefusedException(file.name() + " is GZIP, but cannot be decompressed (" + e.getMessage() + ")");
            }
            throw e;
        }
        content.reset();
        return head;
    }

    private static boolean startsWithGzipMagic(InputStream in) throws IOException {
        in.mark(2);
        int first = in.read();
        int second = in.read();
        in.reset();
        return first == 0x1f && second == 0x8b;
    }

    private static InputStream gunzip(InputStream raw, InputFile file) throws IOException {
        try {
            return new GZIPInputStream(raw, BUFFER);
        } catch (ZipException e) {
            throw new InputRefusedException(file.name() + " starts like GZIP but is not (" + e.getMessage() + ")");
        }
    }
}
