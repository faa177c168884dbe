package io.lakehose.encode;

import io.lakehose.buffer.SealedFile;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.testing.DuckDbLake;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The fence's Parquet trim: the rows after a mark, each exactly as written, also without Hadoop. */
class ParquetTrimmerTest {

    @TempDir
    Path dir;

    /** An envelope file of records {@code from..to} (a sub-sequence on the even ones), as the spool writes it. */
    static SealedFile envelopeFile(Path file, long from, long to) throws Exception {
        return envelopeFile(file, from, to, UnaryOperator.identity());
    }

    private static SealedFile envelopeFile(Path file, long from, long to, UnaryOperator<MessageType> withIds)
            throws Exception {
        try (ParquetFileWriter w = new ParquetFileWriter(file, EnvelopeSchema.SCHEMA, ParquetSettings.defaults(), withIds)) {
            for (long s = from; s <= to; s++) {
                GenericRecord r = new GenericData.Record(EnvelopeSchema.SCHEMA);
                r.put(EnvelopeSchema.EVENT_ID, "e" + s);
                r.put(EnvelopeSchema.EVENT_NAME, "MODIFY");
                r.put(EnvelopeSchema.TABLE_NAME, "orders");
                r.put(EnvelopeSchema.EVENT_TIME, 1_732_521_600_000_000L + s);
                r.put(EnvelopeSchema.KEYS, "{\"id\":" + s + "}");
                r.put(EnvelopeSchema.NEW_IMAGE, s % 3 == 0 ? null : "{\"id\":" + s + ",\"n\":1.50}");
                r.put(EnvelopeSchema.SIZE_BYTES, s);
                r.put(EnvelopeSchema.SHARD_ID, "shardId-000000000001");
                r.put(EnvelopeSchema.SEQUENCE_NUMBER, Long.toString(1000 + s / 2));
                r.put(EnvelopeSchema.SUB_SEQUENCE_NUMBER, s % 2);
                r.put(EnvelopeSchema.ARRIVAL_TIME, 1_732_521_601_000_000L + s);
                w.write(r);
            }
        }
        return new SealedFile(file, "table=orders/dt=2024-11-25/hour=08", ".parquet", "application/vnd.apache.parquet",
                Files.size(file), to - from + 1, new SequenceNumber(Long.toString(1000 + from / 2), from % 2),
                new SequenceNumber(Long.toString(1000 + to / 2), to % 2), 7);
    }

    @Test
    void keepsTheRowsAfterTheMarkExactlyAsWritten() throws Exception {
        SealedFile file = envelopeFile(dir.resolve("whole.parquet"), 1, 5000);
        SequenceNumber mark = new SequenceNumber("1010", 0); // record 20
        SealedFile rest = new ParquetTrimmer(ParquetSettings.defaults()).rowsAfter(file, mark).orElseThrow();
        assertThat(rest.records()).isEqualTo(4980);
        assertThat(rest.first()).isEqualTo(new SequenceNumber("1010", 1));
        assertThat(rest.last()).isEqualTo(file.last());
        assertThat(rest.trackerId()).isEqualTo(file.trackerId());
        try (DuckDbLake db = DuckDbLake.open()) {
            String columns = "event_id, event_name, table_name, aws_region, event_time, user_identity, keys, new_image, "
                    + "old_image, size_bytes, shard_id, sequence_number, sub_sequence_number, arrival_time";
            List<Map<String, Object>> diff = db.query("(SELECT " + columns + " FROM read_parquet("
                    + DuckDbLake.literal(file.spoolFile().toString()) + ") WHERE size_bytes > 20) EXCEPT ALL (SELECT "
                    + columns + " FROM read_parquet(" + DuckDbLake.literal(rest.spoolFile().toString()) + "))");
            assertThat(diff).as("rows after the mark missing or changed").isEmpty();
            assertThat(db.query("SELECT count(*) AS n FROM read_parquet(" + DuckDbLake.literal(rest.spoolFile().toString())
                    + ")").get(0).get("n")).isEqualTo(4980L);
        }
        assertThat(new ParquetTrimmer(ParquetSettings.defaults()).rowsAfter(file, file.last())).isEmpty();
    }

    /** A table's file cut after a refused commit still carries the table's field ids. */
    @Test
    void aCutFileKeepsTheFieldIds() throws Exception {
        UnaryOperator<MessageType> ids = schema -> new MessageType(schema.getName(), IntStream.range(0, schema.getFieldCount())
                .mapToObj(i -> schema.getType(i).withId(100 + i)).toList());
        SealedFile file = envelopeFile(dir.resolve("ids.parquet"), 1, 50, ids);
        SealedFile rest = new ParquetTrimmer(ParquetSettings.defaults()).rowsAfter(file, new SequenceNumber("1010", 0))
                .orElseThrow();
        MessageType cut = ParquetRows.schema(rest.spoolFile());
        assertThat(cut.getType(EnvelopeSchema.EVENT_ID).getId().intValue()).isEqualTo(100);
        assertThat(cut).isEqualTo(ParquetRows.schema(file.spoolFile()));
        assertThat(rest.records()).isEqualTo(30);
    }

    @Test
    void readsEveryRowsPositionInOrder() throws Exception {
        SealedFile file = envelopeFile(dir.resolve("positions.parquet"), 3, 9);
        assertThat(new ParquetTrimmer(ParquetSettings.defaults()).positions(file)).containsExactly(
                new SequenceNumber("1001", 1), new SequenceNumber("1002", 0), new SequenceNumber("1002", 1),
                new SequenceNumber("1003", 0), new SequenceNumber("1003", 1), new SequenceNumber("1004", 0),
                new SequenceNumber("1004", 1));
    }

    /** What a trim prints in a JVM without Hadoop on its classpath (run by the test below). */
    public static void main(String[] args) throws Exception {
        SealedFile file = envelopeFile(Path.of(args[0]), 1, 300);
        Optional<SealedFile> rest = new ParquetTrimmer(ParquetSettings.defaults()).rowsAfter(file,
                new SequenceNumber("1100", 0));
        System.out.println("kept " + rest.orElseThrow().records());
    }

    @Test
    void trimsWithoutHadoopOnTheClasspathAsInTheServiceJar() throws Exception {
        // Hadoop's own artifacts (org.apache.hadoop) out; parquet-hadoop stays, as in the service jar.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.replace(File.separatorChar, '/').contains("/org/apache/hadoop/"))
                .collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, ParquetTrimmerTest.class.getName(), dir.resolve("child.parquet").toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(output).as("no Hadoop class needed").doesNotContain("NoClassDefFoundError").contains("kept 100");
        assertThat(p.exitValue()).isZero();
    }
}
