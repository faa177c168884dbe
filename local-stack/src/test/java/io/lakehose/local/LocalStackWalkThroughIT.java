package io.lakehose.local;

import static io.lakehose.testing.Await.join;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakehose.testing.Await;
import io.lakehose.testing.DynamoDbLocal;
import io.lakehose.testing.EmulatorAccess;
import io.lakehose.testing.LeaseTableSeeder;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The walk-through as a person does it, with the built jar in its own process as the script runs
 * it: read the banner, idle, put items, see their rows, idle again, put more (an update and a
 * delete among them), see every row with the rows command exactly as the banner printed it, SIGTERM. The idles a person takes (15 minutes and more: shard iterators
 * expire, the lease table's writes leave the stream's iterators behind, shards roll over) are
 * made to happen at once through DynamoDB Local's test controls and by waiting for a lease
 * renewal. The run prints no error or stack trace (nor any warning from the stop on) and leaves
 * no temporary file.
 */
class LocalStackWalkThroughIT {

    private static final Duration BANNER_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern PUT_ITEM = Pattern.compile("aws dynamodb put-item --endpoint-url (\\S+) --table-name (\\S+)");
    private static final Pattern ROWS = Pattern.compile("^\\s+(java .* rows --endpoint-url (\\S+) s3://([^/]+)/)$",
            Pattern.MULTILINE);
    private static final Pattern ROW = Pattern.compile("^\\s+(INSERT|MODIFY|REMOVE) \\S+ keys=\\{\"id\":\"([^\"]+)\"}",
            Pattern.MULTILINE);
    /** Errors and stack traces: none anywhere. */
    private static final Pattern ERRORS = Pattern.compile("ERROR|Exception|^\\s+at ");
    /** Warnings too: none from the stop signal on (a busy machine may make the SDK warn while running). */
    private static final Pattern WARNINGS = Pattern.compile("ERROR|WARN|Exception|^\\s+at ");
    private static final String STOP_SIGNAL = "SIGTERM received";

    @TempDir
    Path work;
    private Process stack;
    private DynamoDbAsyncClient dynamoDb;
    private S3Client s3;

    @AfterEach
    void tearDown() {
        if (stack != null) {
            stack.destroyForcibly();
        }
        if (dynamoDb != null) {
            dynamoDb.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void putsAfterIdlingBecomeRowsAndTheStackStopsQuietly() throws Exception {
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        Path output = work.resolve("output.txt");
        stack = start(tmp, output);
        String banner = Await.until("the banner", BANNER_TIMEOUT, Duration.ofMillis(200), () -> read(output),
                out -> out.contains("Ctrl-C stops everything cleanly") || !stack.isAlive());
        assertThat(stack.isAlive()).as(banner).isTrue();
        Matcher put = PUT_ITEM.matcher(banner);
        Matcher rows = ROWS.matcher(banner);
        assertThat(put.find()).as(banner).isTrue();
        assertThat(rows.find()).as(banner).isTrue();
        String table = put.group(2);
        dynamoDb = EmulatorAccess.configure(DynamoDbAsyncClient.builder(), URI.create(put.group(1))).build();
        s3 = EmulatorAccess.configure(S3Client.builder(), URI.create(rows.group(2))).forcePathStyle(true).build();
        LakeRows lake = new LakeRows(s3, rows.group(3));

        idleLikeAPerson(false);
        put(table, "1", "Adam");
        put(table, "2", "Béatrice");
        put(table, "3", "Chen");
        awaitRows(lake, 3);
        assertThat(rows(lake)).containsExactlyInAnyOrder("INSERT 1", "INSERT 2", "INSERT 3");

        idleLikeAPerson(true);
        put(table, "1", "Adam Smith");
        join(dynamoDb.deleteItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS("2")))));
        put(table, "4", "Dana");
        awaitRows(lake, 6);
        List<String> all = rowsAsPrinted(rows.group(1));
        assertThat(all).containsExactlyInAnyOrder("INSERT 1", "INSERT 2", "INSERT 3", "MODIFY 1", "REMOVE 2", "INSERT 4");
        assertThat(all.indexOf("INSERT 1")).as("a key's changes in order").isLessThan(all.indexOf("MODIFY 1"));
        assertThat(all.indexOf("INSERT 2")).as("a key's changes in order").isLessThan(all.indexOf("REMOVE 2"));

        stack.destroy(); // SIGTERM
        assertThat(stack.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(read(output)).isTrue();
        String printed = read(output);
        assertThat(stack.exitValue()).as(printed).isZero();
        assertThat(printed).contains("lakehose stopped (exit 0); 6 changes were bridged");
        assertThat(printed).contains(STOP_SIGNAL);
        assertThat(lines(printed, ERRORS)).as(printed).isEmpty();
        assertThat(lines(printed.substring(printed.indexOf(STOP_SIGNAL)), WARNINGS)).as(printed).isEmpty();
        assertThat(printed).as("DynamoDB Local's chatter").doesNotContain("JAXB", "Initializing DynamoDB Local");
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).as("left in java.io.tmpdir").isEmpty();
        }
    }

    @Test
    void theScriptRunsTheBuiltJarWithoutInstallingOrBuilding() throws Exception {
        // npm and mvn that fail if called: once built, ./lakehose-local goes straight to the jar.
        Path bin = Files.createDirectories(work.resolve("bin"));
        for (String tool : List.of("npm", "mvn")) {
            Path stub = Files.writeString(bin.resolve(tool), "#!/bin/sh\necho \"" + tool + " ran: $*\"; exit 99\n");
            assertThat(stub.toFile().setExecutable(true)).isTrue();
        }
        Path out = work.resolve("script.txt");
        ProcessBuilder pb = new ProcessBuilder("./lakehose-local", "rows", "--endpoint-url", "http://127.0.0.1:1", "s3://lakehose-test/")
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().merge("PATH", bin + File.pathSeparator + Path.of(System.getProperty("java.home"), "bin"),
                (path, first) -> first + File.pathSeparator + path);
        Process script = pb.start();
        assertThat(script.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        String printed = read(out);

        assertThat(printed).as("local/node_modules and the jar are newer than their inputs (mvn package, npm ci ran)")
                .doesNotContain("lakehose-local:", "ran:")
                .contains("error: nothing answers at http://127.0.0.1:1");
        assertThat(script.exitValue()).as(printed).isEqualTo(1);
    }

    /** {@code java -jar local-stack/target/lakehose-local.jar}, as ./lakehose-local runs it. */
    private static Process start(Path tmp, Path output) throws IOException {
        Path jar = Path.of(System.getProperty("lakehose.localJar", "local-stack/target/lakehose-local.jar"));
        assertThat(jar).as("built by mvn package").isRegularFile();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Djava.io.tmpdir=" + tmp, "-jar", jar.toString(), "--buffer-seconds", "3")
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LAKEHOSE_") || k.startsWith("AWS_"));
        pb.environment().put("LAKEHOSE_LOG_FORMAT", "text");
        return pb.start();
    }

    /**
     * What a person's idle minutes do to the stream: every shard iterator expires, and the lease
     * table's writes (a renewal) move DynamoDB Local's sequence numbers past the idle shard's
     * iterator; {@code rollOver} also starts a new shard, as DynamoDB Local does every 4 hours.
     */
    private void idleLikeAPerson(boolean rollOver) {
        if (rollOver) {
            DynamoDbLocal.rollOverStreamShards(dynamoDb);
        }
        DynamoDbLocal.expireShardIterators(dynamoDb);
        long before = leaseCounters();
        Await.until("a lease renewal", TIMEOUT, Duration.ofMillis(200), () -> leaseCounters() > before);
    }

    private long leaseCounters() {
        return LeaseTableSeeder.leases(dynamoDb, LocalStackMain.STREAM).values().stream()
                .mapToLong(lease -> Long.parseLong(lease.get("leaseCounter").n()))
                .sum();
    }

    private void put(String table, String id, String name) {
        join(dynamoDb.putItem(b -> b.tableName(table).item(Map.of(
                "id", AttributeValue.fromS(id), "name", AttributeValue.fromS(name)))));
    }

    private static void awaitRows(LakeRows lake, int count) {
        Await.until(count + " rows in the lake", TIMEOUT, Duration.ofMillis(500), lake::count, n -> n >= count);
    }

    /** What the rows command prints, read in this JVM (a second JVM costs seconds): "EVENT key" per row. */
    private static List<String> rows(LakeRows lake) throws IOException {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        lake.print(new PrintStream(printed, true, UTF_8));
        return events(printed.toString(UTF_8));
    }

    /** Runs the rows command exactly as the banner printed it; returns "EVENT key" per row. */
    private List<String> rowsAsPrinted(String command) throws Exception {
        Path out = work.resolve("rows.txt");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).redirectOutput(out.toFile());
        // The java of this JVM first on the PATH: the one a person who built the jar runs.
        pb.environment().merge("PATH", Path.of(System.getProperty("java.home"), "bin").toString(),
                (path, javaBin) -> javaBin + File.pathSeparator + path);
        Process p = pb.start();
        assertThat(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as(command).isTrue();
        String printed = read(out);
        assertThat(p.exitValue()).as(printed).isZero();
        assertThat(lines(printed, WARNINGS)).as(printed).isEmpty();
        return events(printed);
    }

    private static List<String> events(String printed) {
        List<String> rows = new ArrayList<>();
        Matcher row = ROW.matcher(printed);
        while (row.find()) {
            rows.add(row.group(1) + " " + row.group(2));
        }
        return rows;
    }

    private static List<String> lines(String output, Pattern pattern) {
        return output.lines().filter(line -> pattern.matcher(line).find()).toList();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    }
}
