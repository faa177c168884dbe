package io.lakehose.commit.iceberg.state;

import org.apache.parquet.io.DelegatingPositionOutputStream;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;

import java.io.IOException;

/**
 * Parquet's file interfaces over a table's FileIO (S3FileIO with SSE-KMS in production), so the
 * current-state table's files are read and written without Hadoop, which Iceberg's own Parquet
 * adapters ({@code ParquetIO}) load.
 */
final class IcebergParquetFiles {

    private IcebergParquetFiles() {
    }

    static InputFile in(org.apache.iceberg.io.InputFile file) {
        return new InputFile() {
            @Override
            public long getLength() {
                return file.getLength();
            }

            @Override
            public SeekableInputStream newStream() {
                org.apache.iceberg.io.SeekableInputStream s = file.newStream();
                return new DelegatingSeekableInputStream(s) {
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

    static OutputFile out(org.apache.iceberg.io.OutputFile file) {
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
