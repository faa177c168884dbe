package io.lakehose.pipeline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lakehose.commit.LakeCommitter;
import io.lakehose.commit.iceberg.IcebergSettings;
import io.lakehose.commit.iceberg.LocalWarehouse;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import io.lakehose.sink.LocalDirectoryStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lake.format: both} registers each meter once: the tables' error files share the folders' committer. */
class BothFormatsMetersTest {

    @Test
    void bothFormatsRegisterTheFolderMetersOnce(@TempDir Path lake) throws Exception {
        LakehoseConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("lake.uri", lake.toString(),
                "lake.format", "both", "iceberg.catalog.type", "jdbc"));
        IcebergSettings s = cfg.iceberg();
        cfg = cfg.withIceberg(new IcebergSettings(s.catalogName(), LocalWarehouse.writerProperties(lake), "lake",
                s.commitInterval(), s.partitionBy(), s.tableNames()));
        // Micrometer says "already registered" once at WARN, then at DEBUG: catch both levels.
        Logger micrometer = (Logger) LoggerFactory.getLogger(MeterRegistry.class);
        Level before = micrometer.getLevel();
        ListAppender<ILoggingEvent> said = new ListAppender<>();
        said.start();
        micrometer.addAppender(said);
        micrometer.setLevel(Level.DEBUG);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LakeCommitter committer = Pipelines.convertCommitter(cfg, new LocalDirectoryStore(lake), "local-meters")) {
            committer.bindTo(registry);
        } finally {
            micrometer.detachAppender(said);
            micrometer.setLevel(before);
        }
        assertThat(said.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("already registered"));
        assertThat(registry.find("lakehose.fence.races.lost").functionCounters()).hasSize(1);
        assertThat(registry.find("lakehose.iceberg.commits").counters()).hasSize(1);
    }
}
