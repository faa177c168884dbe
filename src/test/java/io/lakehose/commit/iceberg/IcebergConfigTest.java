package io.lakehose.commit.iceberg;

import io.lakehose.config.ConfigException;
import io.lakehose.config.ConfigKeys;
import io.lakehose.config.ConfigLoader;
import io.lakehose.config.LakehoseConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** lake.format and the iceberg section: bound from YAML and the environment, wrong settings fail at start with their key. */
class IcebergConfigTest {

    private static final String KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    @TempDir
    Path tmp;

    /** {@code tmp/name}: an Iceberg lake at s3://lake/cdc, then {@code rest} (the iceberg section's body first). */
    private Path icebergLakeYaml(String name, String rest) throws Exception {
        return Files.writeString(tmp.resolve(name), """
                lake:
                  uri: s3://lake/cdc
                  format: iceberg
                iceberg:
                """ + rest);
    }

    @Test
    void theCatalogSectionComesFromYamlOrTheEnvironment() throws Exception {
        Path file = icebergLakeYaml("lakehose.yaml", """
                  namespace: cdc
                  partitionBy: hour
                  catalog:
                    type: glue
                    warehouse: s3://lake/warehouse
                s3:
                  kmsKeyId: "%s"
                  region: eu-west-1
                """.formatted(KEY));
        LakehoseConfig cfg = ConfigLoader.load(file, Map.of(), Map.of());
        assertThat(cfg.lake().format()).isEqualTo(ConfigKeys.LakeFormat.ICEBERG);
        assertThat(cfg.iceberg().catalogProperties()).containsEntry("type", "glue")
                .containsEntry("warehouse", "s3://lake/warehouse");
        assertThat(cfg.iceberg().namespace()).isEqualTo("cdc");
        assertThat(cfg.iceberg().partitionBy()).isEqualTo("hour");

        Map<String, String> props = IcebergCatalogs.properties(cfg.iceberg().catalogProperties(), cfg.s3Settings("lake"));
        assertThat(props).containsEntry("io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
                .containsEntry("s3.sse.type", "kms").containsEntry("s3.sse.key", KEY)
                .containsEntry("http-client.type", "urlconnection").containsEntry("client.region", "eu-west-1");

        LakehoseConfig fromEnv = ConfigLoader.load(null, Map.of("LAKEHOSE_LAKE_URI", "s3://lake/cdc",
                "LAKEHOSE_LAKE_FORMAT", "iceberg", "LAKEHOSE_ICEBERG_CATALOG", "type=jdbc,uri=jdbc:sqlite:/tmp/x.db"), Map.of());
        assertThat(fromEnv.iceberg().catalogProperties()).containsEntry("type", "jdbc")
                .containsEntry("uri", "jdbc:sqlite:/tmp/x.db");
    }

    @Test
    void aMissingOrWrongCatalogFailsAtStartNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://lake/cdc",
                "lake.format", "iceberg")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("iceberg.catalog.type");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("lake.uri", "s3://lake/cdc",
                "lake.format", "tables")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("lake.format").hasMessageContaining("iceberg");
        assertThatThrownBy(() -> IcebergCatalogs.open("lake", Map.of("type", "nosuch")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("iceberg.catalog.type");
        assertThatThrownBy(() -> IcebergCatalogs.open("lake", Map.of("type", "jdbc",
                "uri", "jdbc:sqlite:" + tmp.resolve("no/such/dir/catalog.db"), "warehouse", "s3://lake/wh",
                "jdbc.schema-version", "V1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("iceberg.catalog.uri");
    }

    @Test
    void tableNamesComeFromYamlOrTheEnvironmentAndBadOnesFailAtStart() throws Exception {
        Path file = icebergLakeYaml("names.yaml", """
                  catalog:
                    type: glue
                  tableNames:
                    Orders.v2: orders
                """);
        assertThat(ConfigLoader.load(file, Map.of(), Map.of()).iceberg().tableNames()).containsEntry("Orders.v2", "orders");
        assertThat(ConfigLoader.load(file, Map.of("LAKEHOSE_ICEBERG_TABLE_NAMES", "People=people_cdc"), Map.of())
                .iceberg().tableNames()).containsEntry("People", "people_cdc").containsEntry("Orders.v2", "orders");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("LAKEHOSE_ICEBERG_TABLE_NAMES", "People=People-CDC"),
                Map.of())).hasMessageContaining("iceberg.tableNames.People: 'People-CDC' is not a catalog table name");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("LAKEHOSE_ICEBERG_TABLE_NAMES", "Orders=orders"),
                Map.of())).hasMessageContaining("both map to 'orders'");
    }
}
