package io.lakehose.commit.iceberg;

import io.lakehose.testing.RestCatalogServer;
import org.apache.iceberg.CatalogUtil;
import org.junit.jupiter.api.AfterEach;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commit protocol's cases ({@link IcebergCommitProtocolCases}) with the workers committing
 * through the REST catalog protocol (iceberg.catalog type rest), against {@link RestCatalogServer}
 * over the same JDBC catalog the tests read from: the fence both ways, retries after failed or
 * unanswered commits (a failure of the catalog behind the server reaches the writer as the REST
 * protocol's 5xx, an unknown outcome) and the retry budget, as Amazon S3 Tables, Polaris and other
 * REST catalogs would be used. The S3 emulator stands in for the storage, as for the JDBC tests.
 * What does not depend on the catalog's protocol (both formats, SSE-KMS on every object, a
 * dropped table, a conflicting table name) runs on JDBC only, in {@link IcebergCommitterTest}.
 */
class IcebergRestCommitterTest extends IcebergCommitProtocolCases {

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

    /** Every test committed through the workers' catalog, and so through the REST server. */
    @AfterEach
    void everyCommitWentThroughTheServer() {
        assertThat(servers).as("REST servers started by the test").isNotEmpty();
        int commits = servers.values().stream().mapToInt(RestCatalogServer::commits).sum();
        servers.values().forEach(RestCatalogServer::close);
        assertThat(commits).as("table commits through the REST server").isPositive();
    }
}
