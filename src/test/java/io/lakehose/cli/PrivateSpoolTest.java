package io.lakehose.cli;

import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.encode.ParquetFileWriter;
import io.lakehose.encode.ParquetSettings;
import io.lakehose.errorout.ErrorLineWriter;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import com.sun.security.auth.module.UnixSystem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spool holds plaintext CDC data: it is private to the user lakehose runs as (directories
 * 0700, files 0600 from their creation), a root of another user is refused at start naming the
 * setting, and what killed processes left behind is deleted at the next start.
 */
class PrivateSpoolTest {

    @TempDir
    Path tmp;

    @Test
    void theProcessDirectoryAndEverySpoolFileAreTheOwnersOnly() throws Exception {
        Path root = tmp.resolve("spool-root");
        LakeWriterSetup setup = LakeWriterSetup.forTarget(s3Config(root));
        try {
            Path spool = setup.spoolDir();
            assertThat(spool.getParent()).isEqualTo(root);
            assertThat(mode(root)).as("spool root created by lakehose").isEqualTo("rwx------");
            assertThat(mode(spool)).as("process directory").isEqualTo("rwx------");

            Schema schema = SchemaBuilder.record("r").fields().requiredLong("id").endRecord();
            ParquetFileWriter parquet = new ParquetFileWriter(spool.resolve("rows.tmp"), schema, ParquetSettings.defaults());
            GenericData.Record row = new GenericData.Record(schema);
            row.put("id", 1L);
            parquet.write(row);
            parquet.close();
            ErrorLineWriter.factory(true).open(spool.resolve("errors.tmp"), null).close();

            assertThat(mode(spool.resolve("rows.tmp"))).as("Parquet spool file").isEqualTo("rw-------");
            assertThat(mode(spool.resolve("errors.tmp"))).as("error-output spool file").isEqualTo("rw-------");
        } finally {
            setup.cleanUp();
        }
        assertThat(root).as("the last process removes the root it spooled in").doesNotExist();
    }

    @Test
    void aSpoolRootOfAnotherUserIsRefusedNamingTheSetting() throws Exception {
        boolean asRoot = new UnixSystem().getUid() == 0;
        Path foreign = asRoot ? Files.createDirectories(tmp.resolve("someone-elses")) : Path.of("/");
        int owner = asRoot ? 4242 : 0; // only root can give a directory away; otherwise "/" is root's
        if (asRoot) {
            Files.setAttribute(foreign, "unix:uid", owner);
        }
        assertThatThrownBy(() -> LakeWriterSetup.forTarget(s3Config(foreign)))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("buffer.spoolDir")
                .hasMessageContaining("belongs to uid " + owner);
        if (asRoot) {
            assertThat(foreign).as("nothing written into a foreign root").isEmptyDirectory();
        }
    }

    @Test
    void directoriesOfDeadProcessesAndOfAnEarlierProcessWithTheSamePidAreDeletedAtStart() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("spool-root"));
        long deadPid = deadProcessPid();
        ProcessHandle self = ProcessHandle.current();
        long selfStart = self.info().startInstant().map(Instant::toEpochMilli).orElseThrow();
        Path dead = staleFile(root.resolve("pid-" + deadPid + "-123-1"));
        Path deadOldLayout = staleFile(root.resolve("pid-" + deadPid));
        // A restarted container's worker often gets the pid of the one killed before it.
        Path samePidEarlierStart = staleFile(root.resolve("pid-" + self.pid() + "-" + (selfStart - 60_000) + "-1"));
        Path live = staleFile(root.resolve("pid-" + self.pid() + "-" + selfStart + "-1"));
        Path notOurs = staleFile(root.resolve("other-tool"));

        LakeWriterSetup setup = LakeWriterSetup.forTarget(s3Config(root));
        try {
            assertThat(dead.getParent()).doesNotExist();
            assertThat(deadOldLayout.getParent()).doesNotExist();
            assertThat(samePidEarlierStart.getParent()).doesNotExist();
            assertThat(live).as("a running process's spool").exists();
            assertThat(notOurs).as("a directory lakehose did not make").exists();
            assertThat(setup.spoolDir()).isNotIn(live.getParent()).isEmptyDirectory();
        } finally {
            setup.cleanUp();
        }
    }

    private LakehoseConfig s3Config(Path spoolRoot) throws ConfigException {
        return ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://bucket/lake", "s3.region", "us-east-1",
                "buffer.spoolDir", spoolRoot.toString()));
    }

    private static Path staleFile(Path dir) throws Exception {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("shardId-1-x.tmp"), "cdc rows");
    }

    private static long deadProcessPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.pid();
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
