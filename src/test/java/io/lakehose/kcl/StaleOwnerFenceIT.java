package io.lakehose.kcl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.DuckDbLake;
import io.lakehose.testing.HoldingTcpProxy;
import io.lakehose.testing.LeaseTableSeeder;
import io.lakehose.testing.LocalAwsStack;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale owner, with real worker processes (docs/design.md, "Delivery guarantee" and "The
 * fence for folders"): worker A owns both shards and is frozen with SIGSTOP past its lease
 * expiry, worker B takes the shards and re-writes what A had not checkpointed, then A wakes up
 * still holding its buffers (and, in the second test, an upload that a proxy in front of S3 held
 * back, which reaches S3 only after B wrote the same range). Afterwards the lake must hold every
 * record put exactly once, each bad record exactly once in the error output, and only objects
 * named {@code <stream>~<shard>~<start>}: whatever A writes late collides with B's objects.
 *
 * <p>A talks to S3 through a {@link HoldingTcpProxy} on 127.0.0.1, B to the emulator directly.
 * The held-upload test requires S3 to have refused at least one of A's held PUTs with 412 (B
 * stored that range first), or the fence was not exercised; the proxy sees S3's answer whether or
 * not A still listens. Races the workers noticed are counted from their logs ("was already
 * written by another writer of this shard") and logged: A notices one only if the 412 comes
 * before it handles its lease loss (abandoning a shard drops the answers to its uploads).
 *
 * <p>Timing: A is frozen for 15-30 s (B needs the failover time, up to one lease-taker interval
 * and its catch-up); once awake, A may steal one lease back (KCL balances two workers on two
 * shards), one more hand-over. Each scenario takes about 45-75 s on 2 cores.
 *
 * <p>{@code -Dlakehose.it.logDir=DIR} keeps the workers' logs. {@code -Dlakehose.it.legacyNames=true}
 * skips the object-name and race checks, to run the scenario against a jar from before the fence
 * ({@code -Dlakehose.jar=...}) and see whether it loses or duplicates records.
 */
class StaleOwnerFenceIT {

    private static final Logger LOG = LoggerFactory.getLogger(StaleOwnerFenceIT.class);
    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
    private static final boolean LEGACY_NAMES = Boolean.getBoolean("lakehose.it.legacyNames");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2024-11-25T07:00:00Z");

    /** The fenced name of a lake object: {@code <stream>~<shard>~<first record in base 36>[_<sub>].<ext>}. */
    private static final Pattern FENCED_NAME =
            Pattern.compile("[^~/]+~shardId-\\d+~[0-9a-z]{37}(?:_[0-9a-z]{13})?\\.(?:parquet|jsonl|jsonl\\.gz)");
    private static final Pattern IN_PROGRESS = Pattern.compile("\\.(?:parquet|jsonl|jsonl\\.gz)-[0-9a-f-]{36}$");
    private static final Pattern SHARD = Pattern.compile("shardId-\\d+");
    private static final String RACE_LOST = "was already written by another writer of this shard";
    /** The lease taker names its own worker: "Worker host:uuid saw ...", "... successfully took ...". */
    private static final Pattern WORKER_ID = Pattern.compile("Worker (\\S+) (?:saw|successfully took|needed|lost lease)");
    static final Pattern PROCESSOR_THREW = Pattern.compile(
            "Application initialize\\(\\) threw|Application processRecords\\(\\) threw|Application exception\\.");

    /** About 30 s of records: 3,000 in batches of 25 every 250 ms, over 2 shards. */
    private static final int TOTAL = 3_000;
    private static final int BATCH = 25;
    private static final Duration PERIOD = Duration.ofMillis(250);
    /** Every 97th record is a bad one (not JSON, or JSON that is no change record): 31 of them. */
    private static final int BAD_EVERY = 97;

    private static LocalAwsStack stack;

    @TempDir
    Path tmp;

    private final List<WorkerProcess> workers = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @RegisterExtension
    final AfterTestExecutionCallback logTails = context -> {
        if (context.getExecutionException().isPresent()) {
            for (WorkerProcess w : workers) {
                System.err.println(w.tail(80));
            }
        }
    };

    @BeforeAll
    static void startStack() {
        stack = LocalAwsStack.start();
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
        workers.forEach(WorkerProcess::close); // SIGKILL ends a stopped process too
        String keep = System.getProperty("lakehose.it.logDir");
        if (keep != null && !keep.isBlank()) {
            Path dir = Files.createDirectories(Path.of(keep));
            for (WorkerProcess w : workers) {
                Files.copy(w.log(), dir.resolve(w.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void aFrozenOwnerWakesUpAfterTheNewOwnerRewroteItsRecords() throws Exception {
        // A wakes with full buffers; whether it uploads one before it notices the lease loss is up
        // to timing, so a race is logged but not required here.
        runScenario("frozen", false);
    }

    @Test
    void aFrozenOwnersHeldUploadLandsLateAndLosesTheRace() throws Exception {
        Outcome o = runScenario("held", true);
        if (!LEGACY_NAMES) {
            // The fence exercised: a held PUT reached S3 after B stored the same range and S3 refused
            // it (412), or A, awake, lost a race on another PUT and logged it. Which of the two happens
            // is timing: when A handles its lease loss first it cancels the held PUTs, whose
            // connections then close unanswered (seen on a loaded machine: 5 held PUTs unanswered,
            // 3 races logged by A). Exactly once is asserted in every case by runScenario.
            assertThat(o.heldPuts.stream().anyMatch(e -> e.status() == 412) || o.racesA > 0)
                    .as("a 412 on a held PUT of a, or a race a logged (held PUTs and answers: %s; races logged: a %d, "
                            + "b %d): without either the fence was not exercised", o.heldPuts, o.racesA, o.racesB)
                    .isTrue();
        }
    }

    /** Races lost as the workers logged them; the held PUTs of A with S3's answers to them. */
    private record Outcome(long racesA, long racesB, List<HoldingTcpProxy.Exchange> heldPuts) {
    }

    private Outcome runScenario(String name, boolean holdUpload) throws Exception {
        long started = System.nanoTime();
        WorkerHarness h = new WorkerHarness(stack, name, 2);
        HoldingTcpProxy proxy = HoldingTcpProxy.start(stack.s3().endpoint().getPort());
        resources.add(proxy);
        // Leases expire 3 s after the last renewal; files are sealed by age every second, or at 50
        // records, so that uploads happen all the time and some are always in flight.
        Map<String, String> common = Map.of("kinesis.failoverTimeMillis", "3000", "buffer.maxRecords", "50",
                "buffer.maxAgeSeconds", "1");
        Map<String, String> viaProxy = new LinkedHashMap<>(common);
        viaProxy.put("s3.endpoint", proxy.endpoint().toString());
        Path yamlA = h.writeConfig(tmp.resolve(name + "-a.yaml"), viaProxy);
        Path yamlB = h.writeConfig(tmp.resolve(name + "-b.yaml"), common);

        Producer producer = new Producer(h);
        resources.add(producer);
        producer.start();

        // 1. A alone: both leases, something uploaded and checkpointed.
        WorkerProcess a = startWorker(name + "-a", yamlA);
        poll("both leases taken by " + a, Duration.ofSeconds(60), a, () -> count(a, "lease taken at") >= 2);
        poll("objects and checkpoints of both shards from " + a, Duration.ofSeconds(60), a,
                () -> !objectKeys(h).isEmpty() && h.checkpoints().values().stream().filter(StaleOwnerFenceIT::isNumber).count() == 2);
        String idA = workerId(a);

        // 2. Freeze A; in the second test with an upload stuck between A and S3.
        List<String> held = List.of();
        if (holdUpload) {
            proxy.hold();
            poll("an upload of " + a + " held by the proxy", Duration.ofSeconds(30), a,
                    () -> proxy.heldRequestLines().stream().anyMatch(l -> l.startsWith("PUT ")));
            held = proxy.heldRequestLines();
        }
        a.sigstop();
        long frozenAt = System.nanoTime();
        Map<String, String> checkpointsAtFreeze = h.checkpoints();
        Map<String, String> putBeforeFreeze = WorkerHarness.lastSequenceByShard(producer.all());
        Set<String> keysAtFreeze = objectKeys(h);
        LOG.info("{}: froze {} with checkpoints {}; last put {}; {} objects; held requests {}", name, a,
                checkpointsAtFreeze, putBeforeFreeze, keysAtFreeze.size(), held);

        awaitNoUploadInProgress(h);

        // 3. B takes both shards (once A's leases expired) and commits past everything A can have
        //    read: every record A held in a buffer or an upload is in B's objects now.
        WorkerProcess b = startWorker(name + "-b", yamlB);
        poll("both leases owned by " + b, Duration.ofSeconds(60), b, () -> {
            Map<String, String> owners = leaseOwners(h);
            return owners.size() == 2 && !owners.containsValue(idA) && count(b, "lease taken at") >= 2;
        });
        String idB = workerId(b);
        poll("checkpoints of " + b + " past every record put before the freeze", Duration.ofSeconds(60), b,
                () -> atOrPast(h.checkpoints(), putBeforeFreeze));
        Set<String> writtenByB = new TreeSet<>(objectKeys(h));
        writtenByB.removeAll(keysAtFreeze);
        long frozenMillis = (System.nanoTime() - frozenAt) / 1_000_000;
        LOG.info("{}: {} owns both shards and wrote {} objects; {} frozen for {} ms", name, b, writtenByB.size(), a,
                frozenMillis);
        assertThat(a.isAlive()).isTrue();

        // 4. A wakes; its held upload reaches S3 late. It must lose its leases, B goes on.
        a.sigcont();
        if (holdUpload) {
            proxy.release();
        }

        poll(a + " noticing that it lost both leases", Duration.ofSeconds(60), null,
                () -> !a.isAlive() || shardsLost(a).size() == 2);
        if (holdUpload) {
            // Every held PUT reaches S3 and gets its answer, whether or not A still listens (or
            // never reaches it: S3Proxy closes a connection idle for 30 s, and A retries).
            long heldPuts = held.stream().filter(l -> l.startsWith("PUT ")).count();
            pollQuietly(Duration.ofSeconds(30), () -> heldPutAnswers(proxy).size() >= heldPuts);
        }
        assertThat(producer.awaitDone(Duration.ofSeconds(120))).as("producer finished").isTrue();
        List<String> put = producer.all();
        Map<String, String> last = WorkerHarness.lastSequenceByShard(put);
        awaitCheckpoints(h, last, b, Duration.ofSeconds(90));
        // Once awake, A may steal one lease back to balance two workers on two shards (KCL's lease
        // taker): that is one more hand-over, not a failure.
        Map<String, String> ownersAtEnd = leaseOwners(h);

        // 5. Stop both; read the lake.
        boolean aAliveAtEnd = a.isAlive();
        a.sigterm();
        b.sigterm();
        int exitB = b.waitFor(Duration.ofSeconds(60));
        int exitA = a.waitFor(Duration.ofSeconds(60));
        long racesA = count(a, RACE_LOST);
        long racesB = count(b, RACE_LOST);
        List<HoldingTcpProxy.Exchange> heldPuts = heldPutAnswers(proxy);
        Lake lake = Lake.read(h, tmp.resolve(name + "-lake"));
        LOG.info("{}: {} records put ({} bad), {} objects, a frozen {} ms; races lost (logged): a {}, b {}; "
                        + "held PUTs of a answered {}; statuses to a {} (other refusals {}); owners at the end {} (a = {}, b = {}); "
                        + "a {} at the end, exit a {}, exit b {}; {} s", name, put.size(), producer.badIds().size(),
                lake.keys.size(), frozenMillis, racesA, racesB,
                heldPuts.stream().map(e -> e.status() + " " + e.requestLine()).toList(), proxy.statusCounts(),
                proxy.exchanges().stream().filter(e -> e.status() >= 400 && e.status() != 412).limit(5).toList(),
                ownersAtEnd, idA, idB, aAliveAtEnd ? "running" : "exited", exitA, exitB,
                (System.nanoTime() - started) / 1_000_000_000L);

        Set<String> badIds = producer.badIds();
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        assertExactlyOnce("rows", lake.rows, good);
        assertExactlyOnce("error lines", lake.errorIds(), badIds);
        assertThat(h.checkpoints()).isEqualTo(last);
        assertThat(exitB).as("exit code of b after SIGTERM").isZero();
        if (!LEGACY_NAMES) {
            List<String> otherNames = lake.keys.stream()
                    .filter(k -> !FENCED_NAME.matcher(k.substring(k.lastIndexOf('/') + 1)).matches()).toList();
            assertThat(otherNames).as("objects not named <stream>~<shard>~<start>").isEmpty();
            // The operator's check of the same promise: the shipped jar's audit against the bucket and the lease table.
            String report = WorkerProcess.assertAuditClean(JAR, yamlB, tmp);
            LOG.info("{}: {}", name, report.strip());
            assertThat(report).contains("0 overlaps, 0 gaps").contains("2 checkpoints");
        }
        if (holdUpload) {
            // Each held PUT's key is the start of the new owner's object of that range.
            Set<String> keys = new HashSet<>(lake.keys);
            List<String> heldKeys = held.stream().filter(l -> l.startsWith("PUT ")).map(StaleOwnerFenceIT::keyOf).toList();
            LOG.info("{}: held keys in the lake: {} of {}; missing {}", name, heldKeys.stream().filter(keys::contains).count(),
                    heldKeys.size(), heldKeys.stream().filter(k -> !keys.contains(k)).toList());
        }
        assertNoProcessorExceptions();
        return new Outcome(racesA, racesB, heldPuts);
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private WorkerProcess startWorker(String name, Path yaml) {
        WorkerProcess w = WorkerProcess.start(JAR, yaml, tmp, name);
        workers.add(w);
        return w;
    }

    /** The object key of a path-style request line ("PUT /bucket/key HTTP/1.1"). */
    private static String keyOf(String requestLine) {
        String path = requestLine.split(" ")[1];
        String key = path.substring(path.indexOf('/', 1) + 1);
        return java.net.URLDecoder.decode(key, StandardCharsets.UTF_8);
    }

    private static List<HoldingTcpProxy.Exchange> heldPutAnswers(HoldingTcpProxy proxy) {
        return proxy.exchanges().stream().filter(e -> e.held() && e.method().equals("PUT")).toList();
    }

    /**
     * Waits until S3Proxy lists no upload in progress under the stream: it shows a PUT whose body
     * has not all arrived as {@code <key>-<uuid>}, until the body ends or Jetty gives up on it
     * (30 s idle). A frozen worker caught between its request head and its body leaves one, and
     * the next owner's recovery would take it for an object of the shard (see the report on
     * {@code ObjectNames.startOf}); real S3 lists no upload in progress.
     */
    private static void awaitNoUploadInProgress(WorkerHarness h) {
        long t0 = System.nanoTime();
        poll("no upload in progress listed", Duration.ofSeconds(45), null,
                () -> objectKeys(h).stream().noneMatch(k -> IN_PROGRESS.matcher(k).find()));
        long waited = (System.nanoTime() - t0) / 1_000_000;
        if (waited > 500) {
            LOG.info("{}: waited {} ms for an upload in progress at the freeze to leave S3Proxy's listing", h.stream(), waited);
        }
    }

    static long count(WorkerProcess w, String text) {
        return w.logText().split(Pattern.quote(text), -1).length - 1L;
    }

    /** Shards whose lease loss the worker has handled ("lease lost; dropped ..." or "lease released"). */
    static Set<String> shardsLost(WorkerProcess w) {
        Set<String> shards = new TreeSet<>();
        w.logText().lines().filter(l -> l.contains("lease lost") || l.contains("lease released")).forEach(l -> {
            Matcher m = SHARD.matcher(l);
            if (m.find()) {
                shards.add(m.group());
            }
        });
        return shards;
    }

    static boolean isNumber(String s) {
        return s != null && !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** Every shard of {@code target} has a numeric checkpoint at or past it. */
    static boolean atOrPast(Map<String, String> checkpoints, Map<String, String> target) {
        return target.entrySet().stream().allMatch(e -> {
            String cp = checkpoints.get(e.getKey());
            return isNumber(cp) && new BigInteger(cp).compareTo(new BigInteger(e.getValue())) >= 0;
        });
    }

    private static Set<String> objectKeys(WorkerHarness h) {
        Set<String> keys = new TreeSet<>();
        for (String prefix : List.of(h.stream() + "/", h.stream() + "-errors/")) {
            for (S3Object o : stack.s3().client().listObjectsV2Paginator(b -> b.bucket(stack.s3().bucket()).prefix(prefix))
                    .contents()) {
                keys.add(o.key());
            }
        }
        return keys;
    }

    private static Map<String, String> leaseOwners(WorkerHarness h) {
        Map<String, String> owners = new TreeMap<>();
        LeaseTableSeeder.leases(stack.dynamoDb().client(), h.application()).forEach((shard, item) -> {
            AttributeValue owner = item.get("leaseOwner");
            if (owner != null && owner.s() != null) {
                owners.put(shard, owner.s());
            }
        });
        return owners;
    }

    static String workerId(WorkerProcess w) {
        Matcher m = WORKER_ID.matcher(w.logText());
        if (!m.find()) {
            throw new AssertionError("no KCL worker id in the log of " + w + "\n" + w.tail(40));
        }
        return m.group(1);
    }

    static void awaitCheckpoints(WorkerHarness h, Map<String, String> expected, WorkerProcess w, Duration timeout) {
        AtomicReference<Map<String, String>> seen = new AtomicReference<>();
        try {
            poll("checkpoints at the last sequence numbers", timeout, w, () -> {
                seen.set(h.checkpoints());
                return seen.get().equals(expected);
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nexpected " + expected + "\nlast seen " + seen.get(), e);
        }
    }

    private void assertNoProcessorExceptions() {
        List<String> thrown = new ArrayList<>();
        for (WorkerProcess w : workers) {
            w.logText().lines().filter(l -> PROCESSOR_THREW.matcher(l).find()).forEach(l -> thrown.add(w.name() + ": " + l));
        }
        assertThat(thrown).as("record processor exceptions caught by KCL").isEmpty();
    }

    /** Polls {@code done} every 200 ms until true; fails at the timeout, or at once if {@code w} exits. */
    static void poll(String what, Duration timeout, WorkerProcess w, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (w != null && !w.isAlive()) {
                throw new AssertionError("waiting for " + what + ": " + w + " exited\n" + w.tail(60));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + timeout + (w == null ? "" : "\n" + w.tail(60)));
            }
            sleep(200);
        }
    }

    /** Like {@link #poll}, but returns false at the timeout instead of failing. */
    static boolean pollQuietly(Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(200);
        }
        return true;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static void assertExactlyOnce(String what, List<String> actual, Set<String> expected) {
        Map<String, Long> counts = actual.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new,
                Collectors.counting()));
        Map<String, Long> duplicated = new TreeMap<>();
        counts.forEach((id, n) -> {
            if (n > 1) {
                duplicated.put(id, n);
            }
        });
        Set<String> lost = new TreeSet<>(expected);
        lost.removeAll(counts.keySet());
        Set<String> unexpected = new TreeSet<>(counts.keySet());
        unexpected.removeAll(expected);
        assertThat(duplicated).as("%s duplicated (shard/sequence -> count), %d of %d", what, duplicated.size(),
                actual.size()).isEmpty();
        assertThat(lost).as("%s lost (%d of %d)", what, lost.size(), expected.size()).isEmpty();
        assertThat(unexpected).as("%s never put", what).isEmpty();
    }

    static void assertExactlyOnce(String what, List<String> actual, List<String> expected) {
        assertThat(expected).doesNotHaveDuplicates();
        assertExactlyOnce(what, actual, new HashSet<>(expected));
    }

    /** The lake of one stream, downloaded: keys, rows ("shard/sequence") and error lines. */
    private record Lake(List<String> keys, List<String> rows, List<JsonNode> errorLines) {

        static Lake read(WorkerHarness h, Path dir) throws IOException {
            List<String> keys = h.download(dir);
            List<String> rows = h.rows(dir);
            List<JsonNode> errors = new ArrayList<>();
            Path errorDir = dir.resolve(h.stream() + "-errors");
            if (Files.isDirectory(errorDir)) {
                for (Path f : DuckDbLake.files(errorDir, ".jsonl")) {
                    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        if (!line.isBlank()) {
                            errors.add(JSON.readTree(line));
                        }
                    }
                }
            }
            return new Lake(keys, rows, errors);
        }

        List<String> errorIds() {
            return errorLines.stream().map(e -> e.get("shard_id").asText() + "/" + e.get("sequence_number").asText()).toList();
        }
    }

    /**
     * Puts records {@code 0..TOTAL-1} at a fixed pace from its own thread: changes in one of three
     * hours (so every shard interleaves three partitions), every {@value #BAD_EVERY}th one a bad
     * payload. {@link #all()} is, by index, the "shard/sequence" each record got.
     */
    static final class Producer implements AutoCloseable {

        private final WorkerHarness h;
        private final List<String> put = new ArrayList<>();
        private final Set<Integer> badIndexes = new HashSet<>();
        private final Thread thread;
        private volatile boolean stop;
        private volatile Throwable failure;

        Producer(WorkerHarness h) {
            this.h = h;
            this.thread = new Thread(this::run, "producer-" + h.stream());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private static byte[] record(int i) {
            if (i % BAD_EVERY == BAD_EVERY - 1) {
                return (i % 2 == 0 ? "not json {" + i : "{\"hello\": " + i + "}").getBytes(StandardCharsets.UTF_8);
            }
            return WorkerHarness.change(i, T0.plus(Duration.ofHours(i % 3)).plusMillis(i * 10L));
        }

        private void run() {
            try {
                long next = System.nanoTime();
                for (int i = 0; i < TOTAL && !stop; i += BATCH) {
                    List<byte[]> records = new ArrayList<>();
                    for (int j = i; j < Math.min(TOTAL, i + BATCH); j++) {
                        records.add(record(j));
                        if (j % BAD_EVERY == BAD_EVERY - 1) {
                            synchronized (put) {
                                badIndexes.add(j);
                            }
                        }
                    }
                    List<String> ids = h.put(records);
                    synchronized (put) {
                        put.addAll(ids);
                    }
                    next += PERIOD.toNanos();
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable e) {
                failure = e;
            }
        }

        boolean awaitDone(Duration timeout) throws InterruptedException {
            thread.join(timeout.toMillis());
            if (failure != null) {
                throw new AssertionError("producer failed", failure);
            }
            return !thread.isAlive() && all().size() == TOTAL;
        }

        List<String> all() {
            synchronized (put) {
                return List.copyOf(put);
            }
        }

        /** "shard/sequence" of the bad records put. */
        Set<String> badIds() {
            synchronized (put) {
                return badIndexes.stream().filter(i -> i < put.size()).map(put::get).collect(Collectors.toSet());
            }
        }

        @Override
        public void close() {
            stop = true;
            thread.interrupt();
        }
    }
}
