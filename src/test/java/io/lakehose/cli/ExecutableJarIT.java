package io.lakehose.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped artifact itself: one executable jar, no emulator, test library or benchmark inside, and it runs. */
class ExecutableJarIT {

    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));

    @TempDir
    Path tmp;

    @Test
    void containsNoEmulatorOrTestLibrary() throws IOException {
        List<String> forbidden = List.of("org/gaul/", "com/adobe/testing/", "org/duckdb/", "org/junit/",
                "org/assertj/", "com/amazonaws/services/dynamodbv2/local/", "org/apache/hadoop/",
                "io/lakehose/bench/", "io/lakehose/testing/", "io/lakehose/local/");
        List<String> found = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (var e : Collections.list(jar.entries())) {
                for (String f : forbidden) {
                    if (e.getName().startsWith(f)) {
                        found.add(e.getName());
                    }
                }
            }
        }
        assertThat(found).as("test-only, bench or Hadoop classes in %s", JAR).isEmpty();
    }

    /**
     * What issue 15 trimmed stays out (KCL's Glue Schema Registry, Prometheus' protobuf format, the
     * natives of platforms the image does not run on), and what the service uses stays in.
     */
    @Test
    void carriesTheImagesNativesAndTheGlueSdkButNoSchemaRegistryOrProtobufMetrics() throws IOException {
        List<String> names;
        try (JarFile jar = new JarFile(JAR.toFile())) {
            names = Collections.list(jar.entries()).stream().map(e -> e.getName()).toList();
        }
        assertThat(names).noneMatch(n -> n.startsWith("com/amazonaws/services/schemaregistry/")
                || n.startsWith("io/prometheus/metrics/expositionformats/generated/")
                || n.startsWith("darwin/") || n.startsWith("org/sqlite/native/Mac/")
                || n.startsWith("org/xerial/snappy/native/Mac/"));
        assertThat(names).contains("linux/amd64/libzstd-jni-1.5.7-4.so", "linux/aarch64/libzstd-jni-1.5.7-4.so",
                "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
                "org/xerial/snappy/native/Linux/aarch64/libsnappyjava.so",
                "org/sqlite/native/Linux/x86_64/libsqlitejdbc.so", "org/sqlite/native/Linux/aarch64/libsqlitejdbc.so",
                "org/apache/iceberg/aws/glue/GlueCatalog.class",
                "software/amazon/awssdk/services/glue/GlueClient.class",
                "io/prometheus/metrics/expositionformats/PrometheusTextFormatWriter.class");
    }

    /**
     * iceberg.catalog.type glue works from the jar alone: its GlueCatalog, built by Iceberg as the
     * service builds it, lists databases through the Glue SDK. The Glue endpoint is a hand-written
     * fake (no Glue emulator runs here) that answers GetDatabases with none.
     */
    @Test
    void itsGlueCatalogListsDatabasesThroughTheGlueSdk() throws Throwable {
        List<String> targets = new CopyOnWriteArrayList<>();
        HttpServer glue = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        glue.createContext("/", exchange -> {
            try (exchange) {
                targets.add(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
                byte[] body = "{\"DatabaseList\":[]}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        glue.start();
        // Only the jar's classes: the platform loader as parent, not this test's class path.
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader jar = new URLClassLoader(new URL[] {JAR.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Thread.currentThread().setContextClassLoader(jar);
            Map<String, String> properties = Map.of("type", "glue", "warehouse", "s3://lake/warehouse",
                    "client.region", "eu-west-1", "http-client.type", "urlconnection",
                    "glue.endpoint", "http://127.0.0.1:" + glue.getAddress().getPort(),
                    "client.credentials-provider", "software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider");
            // Method handles: reflection's getMethod resolves every signature of a class, Hadoop's
            // types included, which the service never touches (and the jar does not carry).
            Object catalog = MethodHandles.publicLookup().findStatic(jar.loadClass("org.apache.iceberg.CatalogUtil"),
                    "buildIcebergCatalog", MethodType.methodType(jar.loadClass("org.apache.iceberg.catalog.Catalog"),
                            String.class, Map.class, Object.class))
                    .invoke("lake", properties, null);
            assertThat(catalog.getClass().getName()).isEqualTo("org.apache.iceberg.aws.glue.GlueCatalog");
            Object namespaces = MethodHandles.publicLookup().findVirtual(
                    jar.loadClass("org.apache.iceberg.catalog.SupportsNamespaces"), "listNamespaces",
                    MethodType.methodType(List.class)).invoke(catalog);
            assertThat((List<?>) namespaces).isEmpty();
            ((AutoCloseable) catalog).close();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
            glue.stop(0);
        }
        assertThat(targets).containsExactly("AWSGlue.GetDatabases");
    }

    /**
     * A codec whose native library the jar does not carry for this platform (os.arch says s390x)
     * fails at start naming the key, not at the first flush; gzip needs none and converts.
     */
    @Test
    void aCodecWithoutItsNativeLibraryHereFailsAtStartNamingTheKey() throws Exception {
        List<String> s390x = List.of("-Dos.arch=s390x");
        for (String codec : List.of("zstd", "snappy")) {
            Result r = run(s390x, Map.of("LAKEHOSE_PARQUET_COMPRESSION", codec), "convert",
                    "--input", "config/sample/changes.jsonl", "--output", tmp.resolve(codec).toString());
            assertThat(r.exit).as(r.err).isEqualTo(2);
            assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
            assertThat(r.err).startsWith("error: parquet.compression: " + codec + "'s native library does not load on Linux s390x")
                    .contains("LAKEHOSE_PARQUET_COMPRESSION").contains("gzip or none");
            assertThat(tmp.resolve(codec)).as("nothing written, not even the output directory").doesNotExist();
        }
        Result gzip = run(s390x, Map.of("LAKEHOSE_PARQUET_COMPRESSION", "gzip"), "convert",
                "--input", "config/sample/changes.jsonl", "--output", tmp.resolve("gzip").toString());
        assertThat(gzip.exit).as(gzip.err).isZero();
        assertThat(gzip.out).contains("records=16 rows=13 errors=3");
    }

    @Test
    void helpListsTheSubcommands() throws Exception {
        Result r = run("--help");
        assertThat(r.exit).isZero();
        assertThat(r.out).contains("convert").contains("backfill").contains("maintain").contains("config-reference");
        // The benchmark is its own module and jar (bench/target/lakehose-bench.jar).
        assertThat(r.out).doesNotContain("bench");
    }

    @Test
    void convertsTheShippedSampleIntoALocalLake() throws Exception {
        Path lake = tmp.resolve("lake");
        Result r = run("convert", "--input", "config/sample/changes.jsonl", "--output", lake.toString());
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out.strip().lines()).hasSize(1);
        assertThat(r.out).contains("records=16 rows=13 errors=3");
        try (Stream<Path> files = Files.walk(lake)) {
            List<String> keys = files.filter(Files::isRegularFile).map(p -> lake.relativize(p).toString()).sorted().toList();
            assertThat(keys).anyMatch(k -> k.startsWith("table=example-ddb-table/dt=2024-11-25/hour=08/") && k.endsWith(".parquet"));
            assertThat(keys).anyMatch(k -> k.startsWith("table=example-ddb-table/dt=2024-11-25/hour=09/") && k.endsWith(".parquet"));
            assertThat(keys).anyMatch(k -> k.startsWith("errors/table=unknown/reason=invalid_json/") && k.endsWith(".jsonl"));
            assertThat(keys).noneMatch(k -> k.contains(".lakehose-spool"));
        }
    }

    @Test
    void aMissingInputIsOneLineAndNonZero() throws Exception {
        Result r = run("convert", "--input", tmp.resolve("nope.jsonl").toString(), "--output", tmp.resolve("o").toString());
        assertThat(r.exit).isNotZero();
        assertThat(r.err.strip().lines()).hasSize(1);
        assertThat(r.err).startsWith("error: input file").contains("nope.jsonl").doesNotContain("\tat ");
    }

    private record Result(int exit, String out, String err) {
    }

    private Result run(String... args) throws Exception {
        return run(List.of(), Map.of(), args);
    }

    private Result run(List<String> jvmOptions, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
