package io.lakehose.buffer;

import io.lakehose.checkpoint.CheckpointTracker;
import io.lakehose.decode.SequenceNumber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Rollover rules of BufferSet, with a trivial line writer so only the buffering logic is under test. */
class BufferSetTest {

    @TempDir
    Path spool;

    /** Writes items as text lines; "memory" is whatever the test says. */
    static final class LineWriter implements SpoolWriter<String> {
        final Path path;
        final StringBuilder sb = new StringBuilder();
        long memory;

        LineWriter(Path path) {
            this.path = path;
        }

        @Override public void append(String item) { sb.append(item).append('\n'); memory += item.length() + 1; }
        int sizeQueries;
        @Override public long dataSize() { sizeQueries++; return sb.length(); }
        @Override public long inMemoryBytes() { return memory; }
        @Override public Path path() { return path; }
        @Override public String extension() { return ".txt"; }
        @Override public String contentType() { return "text/plain"; }
        @Override public void close() throws IOException { Files.writeString(path, sb); }
        @Override public void abort() { sb.setLength(0); }
    }

    private BufferSet<String> set(BufferLimits limits, MemoryBudget budget, CheckpointTracker tracker) {
        return new BufferSet<>("shard-1", spool, (path, first) -> new LineWriter(path), limits, budget, tracker);
    }

    /** Feeds records (partition, arrival seconds) and returns the files (directory, range) in the order they were sealed. */
    private List<String> run(BufferLimits limits, String[][] records) throws IOException {
        CheckpointTracker tracker = new CheckpointTracker();
        BufferSet<String> set = set(limits, MemoryBudget.unlimited(), tracker);
        List<SealedFile> sealed = new ArrayList<>();
        long seq = 1;
        for (String[] r : records) {
            long arrival = Long.parseLong(r[1]) * 1_000_000L;
            set.sealExpired(arrival, sealed);
            set.append(r[0], "record-" + seq, SequenceNumber.of(seq), arrival, sealed);
            tracker.accepted(SequenceNumber.of(seq));
            seq++;
        }
        set.sealAll(sealed);
        List<String> keys = new ArrayList<>();
        for (SealedFile f : sealed) {
            keys.add(f.directory() + "/" + f.first() + "-" + f.last() + f.extension() + ":" + f.records() + ":" + Files.readString(f.spoolFile()).lines().count());
        }
        return keys;
    }

    @Test
    void cutsFilesByRecordCountAgeAndEndOfInputNamedByShardAndFirstSequence() throws IOException {
        String[][] records = {
                {"p=a", "0"}, {"p=b", "1"}, {"p=a", "2"}, {"p=a", "3"},   // a reaches 3 records at seq 4
                {"p=a", "10"}, {"p=b", "400"},                               // arrival 400 > 1 + 300: b (seq 2) and a (seq 5) expire
                {"p=a", "401"}};
        List<String> keys = run(new BufferLimits(1 << 20, 3, 300_000_000L), records);
        assertThat(keys).containsExactly(
                "p=a/1-4.txt:3:3",
                "p=b/2-2.txt:1:1",
                "p=a/5-5.txt:1:1",
                "p=b/6-6.txt:1:1",
                "p=a/7-7.txt:1:1");
    }

    @Test
    void theSameRecordsAlwaysGiveTheSameFiles() throws IOException {
        String[][] records = new String[500][];
        Random r = new Random(42);
        long t = 0;
        for (int i = 0; i < records.length; i++) {
            t += r.nextInt(5);
            records[i] = new String[] {"p=" + r.nextInt(4), Long.toString(t)};
        }
        BufferLimits limits = new BufferLimits(300, 17, 60_000_000L);
        List<String> first = run(limits, records);
        assertThat(first).hasSizeGreaterThan(10);
        assertThat(run(limits, records)).isEqualTo(first);
    }

    @Test
    void sizeLimitFinishesAFile() throws IOException {
        List<String> keys = run(new BufferLimits(20, 1000, Long.MAX_VALUE / 4),
                new String[][] {{"p", "0"}, {"p", "0"}, {"p", "0"}, {"p", "0"}});
        // "record-N\n" is 9 bytes: the file is finished once it holds 20 or more, i.e. after 3 records
        assertThat(keys).hasSize(2);
        assertThat(keys.get(0)).endsWith(":3:3");
    }

    @Test
    void theSizeIsAskedForEveryFewRecordsOnlyAndStillEndsTheFileAtItsLimit() throws IOException {
        List<LineWriter> writers = new ArrayList<>();
        BufferSet<String> set = new BufferSet<>("shard-1", spool, (path, first) -> {
            LineWriter w = new LineWriter(path);
            writers.add(w);
            return w;
        }, new BufferLimits(90_000, 1_000_000, Long.MAX_VALUE / 4), MemoryBudget.unlimited(), new CheckpointTracker());
        List<SealedFile> sealed = new ArrayList<>();
        for (long seq = 1; seq <= 10_000; seq++) {
            set.append("p", "record-" + (seq % 10), SequenceNumber.of(seq), 0, sealed); // 9 bytes each
        }
        // A file ends with the record that brings it to 90,000 bytes: the 10,000th.
        assertThat(sealed).hasSize(1);
        assertThat(sealed.get(0).records()).isEqualTo(10_000);
        assertThat(writers.get(0).sizeQueries).as("size queries for 10,000 records").isLessThan(10_000 / 32);
    }

    @Test
    void memoryCapAsksTheLargestFileToFlushFirst() throws IOException {
        MemoryBudget budget = new MemoryBudget(100);
        CheckpointTracker tracker = new CheckpointTracker();
        BufferSet<String> set = set(new BufferLimits(1 << 20, 1_000_000, Long.MAX_VALUE / 4), budget, tracker);
        List<SealedFile> sealed = new ArrayList<>();
        long seq = 1;
        // "big" grows faster than "small"; budget updates happen on the 1st, 9th, 17th... append of a file
        for (int i = 0; i < 40; i++) {
            set.sealRequested(sealed);
            set.append("big", "x".repeat(20), SequenceNumber.of(seq), 0, sealed);
            tracker.accepted(SequenceNumber.of(seq++));
            set.sealRequested(sealed);
            set.append("small", "y", SequenceNumber.of(seq), 0, sealed);
            tracker.accepted(SequenceNumber.of(seq++));
        }
        assertThat(sealed).isNotEmpty();
        assertThat(sealed).allSatisfy(f -> assertThat(f.directory()).isEqualTo("big"));
        assertThat(budget.usedBytes()).isLessThanOrEqualTo(100 + 9 * 21);
    }

    @Test
    void discardDropsEverythingAndReleasesMemory() throws IOException {
        MemoryBudget budget = new MemoryBudget(1 << 20);
        CheckpointTracker tracker = new CheckpointTracker();
        BufferSet<String> set = set(BufferLimits.defaults(), budget, tracker);
        List<SealedFile> sealed = new ArrayList<>();
        set.append("p", "a", SequenceNumber.of(1), 0, sealed);
        tracker.accepted(SequenceNumber.of(1));
        assertThat(budget.usedBytes()).isPositive();
        set.discardAll();
        assertThat(set.openFiles()).isZero();
        assertThat(budget.usedBytes()).isZero();
        assertThat(sealed).isEmpty();
        assertThat(tracker.safeCheckpoint()).isEmpty(); // a discarded file never makes its records safe
    }
}
