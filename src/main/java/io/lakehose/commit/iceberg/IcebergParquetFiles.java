package io.lakehose.commit.iceberg;

import org.apache.parquet.io.DelegatingPositionOutputStream;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;

import java.io.FilterInputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Parquet's file interfaces over a table's FileIO (S3FileIO with SSE-KMS in production, ranged
 * reads), so tables' files are read and written where they are (the current-state table, table
 * maintenance) without Hadoop, which Iceberg's own Parquet adapters ({@code ParquetIO}) load.
 */
public final class IcebergParquetFiles {

    private IcebergParquetFiles() {
    }

    /** {@code file} for Parquet's reader. */
    public static InputFile in(org.apache.iceberg.io.InputFile file) {
        return in(file, new AtomicLong());
    }

    /**
     * {@code file} for Parquet's reader; every byte the reader takes from it (footer, the chunks
     * of the projected columns) is added to {@code bytesRead}, so a projected read counts what it
     * fetched, not the file's length.
     */
    public static InputFile in(org.apache.iceberg.io.InputFile file, AtomicLong bytesRead) {
        return new InputFile() {
            @Override
            public long getLength() {
                return file.getLength();
            }

            @Override
            public SeekableInputStream newStream() {
                org.apache.iceberg.io.SeekableInputStream s = file.newStream();
                return new DelegatingSeekableInputStream(counting(s, bytesRead)) {
                    @Override
                    public long getPos() throws IOException {
                        return s.getPos();
                    }

                    @Override
                    public void seek(long newPos) throws IOException {
                        s.seek(newPos);
                    }
                };
            }

            @Override
            public String toString() {
                return file.location();
            }
        };
    }

    /** Parquet's delegating stream reads through read() and read(byte[], int, int) only. */
    private static java.io.InputStream counting(java.io.InputStream in, AtomicLong bytesRead) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytesRead.incrementAndGet();
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    bytesRead.addAndGet(n);
                }
                return n;
            }
        };
    }

    public static OutputFile out(org.apache.iceberg.io.OutputFile file) {
        return new OutputFile() {
            @Override
            public PositionOutputStream create(long blockSizeHint) {
                return wrap(file.create());
            }

            @Override
            public PositionOutputStream createOrOverwrite(long blockSizeHint) {
                return wrap(file.createOrOverwrite());
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
                return file.location();
            }
        };
    }

    private static PositionOutputStream wrap(org.apache.iceberg.io.PositionOutputStream s) {
        return new DelegatingPositionOutputStream(s) {
            @Override
            public long getPos() throws IOException {
                return s.getPos();
            }
        };
    }
}
