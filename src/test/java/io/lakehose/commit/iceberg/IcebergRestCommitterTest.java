package io.lakehose.commit.iceberg;

import io.lakehose.testing.RestCatalogServer;
import org.apache.iceberg.CatalogUtil;
import org.junit.jupiter.api.AfterEach;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every test of {@link IcebergCommitterTest} with the workers committing through the REST catalog
 * protocol (iceberg.catalog type rest), against {@link RestCatalogServer} over the same JDBC
 * catalog the tests read from: the fence, retries after failed or unanswered commits (a failure
 * of the catalog behind the server reaches the writer as the REST protocol's 5xx, an unknown
 * outcome), both formats and a dropped table, as Amazon S3 Tables, Polaris and other REST catalogs
 * would be used. The S3 emulator stands in for the storage, as for the JDBC tests.
 */
class IcebergRestCommitterTest extends IcebergCommitterTest {

    private final Map<Boolean, RestCatalogServer> servers = new HashMap<>();

    @Override
    Map<String, String> writerCatalog(boolean faulty) throws Exception {
        RestCatalogServer server = servers.get(faulty);
        if (server == null) {
            server = RestCatalogServer.start(CatalogUtil.buildIcebergCatalog("lake", catalogProperties(faulty), null));
            servers.put(faulty, server);
        }
        Map<String, String> rest = new HashMap<>(catalogProperties(false));
        rest.remove("jdbc.schema-version");
        rest.put("type", "rest");
        rest.put("uri", server.uri().toString());
        return rest;
    }

    /** A test that committed through the workers' catalog did so through the REST server. */
    @AfterEach
    void everyCommitWentThroughTheServer() {
        if (servers.isEmpty()) {
            return; // this test builds its own catalog (the namespace race): nothing of it is REST
        }
        int commits = servers.values().stream().mapToInt(RestCatalogServer::commits).sum();
        servers.values().forEach(RestCatalogServer::close);
        assertThat(commits).as("table commits through the REST server").isPositive();
    }
}
