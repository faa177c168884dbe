package io.lakehose.maintain;

import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

import java.io.IOException;

/**
 * A table's data file (through the table's FileIO: S3FileIO with ranged reads, or local files) as
 * parquet's {@link InputFile}, so that compaction reads the rows where they are, Hadoop-free.
 */
final class TableInputFile implements InputFile {

    private final org.apache.iceberg.io.InputFile file;

    TableInputFile(org.apache.iceberg.io.InputFile file) {
        this.file = file;
    }

    @Override
    public long getLength() {
        return file.getLength();
    }

    @Override
    public SeekableInputStream newStream() {
        org.apache.iceberg.io.SeekableInputStream in = file.newStream();
        return new DelegatingSeekableInputStream(in) {
            @Override
            public long getPos() throws IOException {
                return in.getPos();
            }

            @Override
            public void seek(long newPos) throws IOException {
                in.seek(newPos);
            }
        };
    }

    @Override
    public String toString() {
        return file.location();
    }
}
