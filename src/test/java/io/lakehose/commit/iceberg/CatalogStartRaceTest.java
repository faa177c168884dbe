package io.lakehose.commit.iceberg;

import io.lakehose.config.ConfigException;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workers that start at once on a fresh JDBC catalog (one SQLite file, as the local stack and the
 * process tests have it) all open it: the catalog's own tables are created by whichever comes first.
 */
class CatalogStartRaceTest {

    @RepeatedTest(3)
    void workersStartingAtOnceAllOpenAFreshCatalog(@TempDir Path dir) throws Exception {
        Map<String, String> props = Map.of("type", "jdbc", "uri", "jdbc:sqlite:" + dir.resolve("catalog.db"),
                "warehouse", dir.resolve("warehouse").toUri().toString(), "io-impl", LocalFileIO.class.getName(),
                "jdbc.schema-version", "V1");
        int workers = 6;
        CyclicBarrier together = new CyclicBarrier(workers);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        List<String> failures = new ArrayList<>();
        try {
            List<Future<Catalog>> opened = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                Callable<Catalog> open = () -> {
                    together.await();
                    return IcebergCatalogs.open("lakehose", props);
                };
                opened.add(pool.submit(open));
            }
            for (Future<Catalog> f : opened) {
                try {
                    Catalog c = f.get();
                    if (c instanceof AutoCloseable closeable) {
                        closeable.close();
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(String.valueOf(e.getCause()));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).isEmpty();
    }
}
