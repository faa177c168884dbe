package io.lakehose.encode;

import io.lakehose.buffer.PrivateFiles;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A Parquet {@link OutputFile} on local disk (the spool) that exposes how many bytes already
 * left the heap, so the buffer can tell its in-memory share from what is on disk.
 */
final class SpoolOutputFile implements OutputFile {

    private final Path path;
    private CountingStream stream;

    SpoolOutputFile(Path path) {
        this.path = path;
    }

    long bytesOnDisk() {
        return stream == null ? 0 : stream.pos;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        return open(StandardOpenOption.CREATE_NEW);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private PositionOutputStream open(StandardOpenOption... options) throws IOException {
        OutputStream out = PrivateFiles.newOutputStream(path, options);
        // Small: a batch convert may hold thousands of files open; a row group goes out in large writes anyway.
        stream = new CountingStream(new BufferedOutputStream(out, 8 * 1024));
        return stream;
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return 0;
    }

    @Override
    public String getPath() {
        return path.toString();
    }

    private static final class CountingStream extends PositionOutputStream {
        private final OutputStream out;
        private long pos;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public long getPos() {
            return pos;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            pos++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            pos += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
