package io.lakehose.kcl;

import io.lakehose.decode.SequenceNumber;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakehose.testing.Await;
import io.lakehose.testing.DuckDbLake;
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
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The shipped jar as worker processes against the local stack, treated the way production
 * treats it: kill -9 at random moments (also right after an upload, before its checkpoint),
 * SIGTERM mid-stream, two workers sharing the shards and one of them dying. After each, the
 * lake must hold every stream record exactly once (docs/design.md, "Delivery guarantee") and the lease table's
 * checkpoints must end at the last sequence numbers.
 *
 * <p>Timing on KCL 2.x: a killed (or stopped) worker's leases stay owned until they expire, so a
 * restarted worker takes them only after {@code kinesis.failoverTimeMillis} (2-3 s here) plus up
 * to one lease-taker interval (twice the failover time); kills therefore wait until the worker
 * holds its leases. A graceful stop also waits about one failover time: KCL 2.x finishes its
 * shutdown only when the leases' failover time is reached.
 *
 * <p>{@code -Dlakehose.it.logDir=DIR} keeps the workers' logs; on a failure their tails are printed.
 */
class WorkerProcessesIT {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerProcessesIT.class);
    private static final Path JAR = Path.of(System.getProperty("lakehose.jar", "target/lakehose.jar"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2024-11-25T07:00:00Z");
    /** The kill schedule is random but reproducible: change the seed to explore other schedules. */
    private static final long SEED = 20241125L;

    /**
     * {@code <stream>~<shard>~<first in base 36>[_<sub>].<ext>}: groups the shard. S3Proxy lists a
     * PUT in progress under a temporary {@code <key>-<uuid>} name, which this does not match.
     */
    private static final Pattern OBJECT_NAME =
            Pattern.compile("[^~]+~(shardId-\\d+)~[0-9a-z]+(?:_[0-9a-z]+)?\\.(?:parquet|jsonl|jsonl\\.gz)");

    /** The lease taker names its own worker: "Worker host:uuid saw ...", "... successfully took ...". */
    private static final Pattern WORKER_ID = Pattern.compile("Worker (\\S+) (?:saw|successfully took|needed|lost lease)");

    /** What KCL logs when a record processor callback throws. */
    private static final Pattern PROCESSOR_THREW = Pattern.compile(
            "Application initialize\\(\\) threw|Application processRecords\\(\\) threw|Application exception\\.");

    private static LocalAwsStack stack;

    @TempDir
    Path tmp;

    private final List<WorkerProcess> workers = new ArrayList<>();
    private final List<Producer> producers = new ArrayList<>();

    /** On a failure, the end of every worker's log goes to the test output (before the workers are killed). */
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
    void stopEverything() throws IOException {
        producers.forEach(Producer::close);
        workers.forEach(WorkerProcess::close);
        // -Dlakehose.it.logDir=DIR keeps every worker's log (the temporary directory goes away).
        String keep = System.getProperty("lakehose.it.logDir");
        if (keep != null && !keep.isBlank()) {
            Path dir = Files.createDirectories(Path.of(keep));
            for (WorkerProcess w : workers) {
                Files.copy(w.log(), dir.resolve(w.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 1 (and 4). kill -9 at random moments, bad records mid-shard

    @Test
    void killNineAtRandomMomentsNeitherLosesNorDuplicatesAndBadRecordsLandOnceInErrors() throws Exception {
        long started = System.nanoTime();
        WorkerHarness h = new WorkerHarness(stack, "crash", 4);
        // Failover 2 s: a restarted worker takes the dead one's leases after 2-6 s instead of 3-9 s.
        // Small files, so that uploads (and the gap between an upload and its checkpoint) happen all the time.
        Path yaml = h.writeConfig(tmp.resolve("crash.yaml"), Map.of("buffer.maxRecords", "300", "buffer.maxAgeSeconds", "2",
                "kinesis.failoverTimeMillis", "2000"));
        // Bad payloads among the changes: not JSON at all, and JSON that is no change record.
        Map<Integer, byte[]> bad = Map.of(
                700, "this is not json {".getBytes(StandardCharsets.UTF_8),
                2_500, "{\"hello\": \"world\"}".getBytes(StandardCharsets.UTF_8),
                4_100, "\u0000\u0001 binary?".getBytes(StandardCharsets.UTF_8),
                6_300, "[1, 2, 3]".getBytes(StandardCharsets.UTF_8));
        // About 80 s of records (100/s), so that they keep coming through all six kill rounds.
        Producer producer = produce(h, 8_000, 40, Duration.ofMillis(400), bad);

        Random random = new Random(SEED);
        int kills = 0;
        int windowKills = 0;
        int spoolKills = 0;
        List<String> killLog = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            WorkerProcess w = startWorker("crash-" + round, yaml);
            // A restarted worker steals one lease of the dead one at once and takes the others once
            // they have expired: kill only when it works on every shard.
            awaitLeases(w, 4, Duration.ofSeconds(60));
            if (round % 2 == 1) {
                // Right after an upload completes: the object is in the bucket, its checkpoint
                // (at most every second, on the next batch) normally is not yet.
                Set<String> before = objectKeys(h);
                String fresh = awaitNewObjectUnlessDone(h, before, w, producer, Duration.ofSeconds(60));
                w.sigkill();
                kills++;
                if (fresh == null) {
                    killLog.add("round " + round + ": nothing left to upload (every record put is checkpointed)");
                    continue;
                }
                String[] range = shardAndLast(fresh);
                String checkpoint = h.checkpoints().get(range[0]);
                boolean inWindow = !isNumber(checkpoint) || new BigInteger(checkpoint).compareTo(new BigInteger(range[1])) < 0;
                windowKills += inWindow ? 1 : 0;
                killLog.add("round " + round + ": after upload of " + fresh + ", checkpoint " + checkpoint
                        + (inWindow ? " (between upload and checkpoint)" : " (already checkpointed)"));
            } else {
                // The kill at a random moment of the work is the test, so here time is let pass.
                long delay = 1_000 + random.nextInt(5_001);
                Thread.sleep(delay);
                int spooled = w.spoolFiles().size();
                w.sigkill();
                kills++;
                spoolKills += spooled > 0 ? 1 : 0;
                killLog.add("round " + round + ": " + delay + " ms after taking every lease, " + spooled + " spool files, "
                        + producer.count() + " records put so far");
            }
        }
        killLog.forEach(line -> LOG.info("crash test kill {}", line));
        assertThat(producer.awaitDone(Duration.ofSeconds(120))).as("producer finished").isTrue();
        List<String> put = producer.all();

        WorkerProcess last = startWorker("crash-final", yaml);
        awaitCheckpoints(h, WorkerHarness.lastSequenceByShard(put), last, Duration.ofSeconds(120));
        last.sigterm();
        assertThat(last.waitFor(Duration.ofSeconds(60))).as("exit code after SIGTERM").isZero();
        // e.g. "lakehose stopped: records=6058 rows=5464 errors=3 skipped=591 ...": skipped records
        // were re-read after a kill and found already in the lake.
        String summary = last.logText().lines().filter(l -> l.contains("lakehose stopped:")).findFirst().orElse("");

        Lake lake = Lake.read(h, tmp.resolve("crash-lake"));
        LOG.info("crash test: {} kills ({} between upload and checkpoint, {} with spooled buffers), {} records put, "
                        + "{} objects ({} data, {} error), {} s; last worker: {}", kills, windowKills, spoolKills, put.size(),
                lake.keys.size(), lake.dataObjects(), lake.keys.size() - lake.dataObjects(),
                (System.nanoTime() - started) / 1_000_000_000L, summary);
        assertThat(kills).isGreaterThanOrEqualTo(5);
        assertThat(windowKills).as("kills between an upload and its checkpoint: %s", killLog).isGreaterThanOrEqualTo(1);
        assertThat(spoolKills).as("kills while buffers were spooled: %s", killLog).isGreaterThanOrEqualTo(1);

        Set<String> badIds = bad.keySet().stream().map(put::get).collect(Collectors.toSet());
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        assertExactlyOnce("rows", lake.rows, good);
        assertExactlyOnce("error lines", lake.errorIds(), badIds);
        assertThat(lake.errorCodes()).containsOnly("invalid_json", "not_a_cdc_record", "not_an_object");
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertNoProcessorExceptions();
        assertThat(WorkerProcess.assertAuditClean(JAR, yaml, tmp)).contains("0 overlaps, 0 gaps");
    }

    // ---------------------------------------------------------------------------------------------
    // 2. SIGTERM mid-stream

    @Test
    void sigtermMidStreamFlushesChecksAndExitsZeroWithinTheBudget() throws Exception {
        WorkerHarness h = new WorkerHarness(stack, "graceful", 4);
        long budgetSeconds = 10;
        int maxRecords = 200;
        // Age never seals here (60 s): only the record count does, so at any moment each shard holds
        // a partly filled buffer, which only the graceful stop can upload.
        Path yaml = h.writeConfig(tmp.resolve("graceful.yaml"), Map.of("buffer.maxAgeSeconds", "60",
                "buffer.maxRecords", Integer.toString(maxRecords), "kinesis.shutdownBudgetSeconds", Long.toString(budgetSeconds)));
        Producer producer = produce(h, 4_000, 40, Duration.ofMillis(300), Map.of());
        WorkerProcess w = startWorker("graceful-1", yaml);
        poll("four objects uploaded", Duration.ofSeconds(60), w, () -> objectKeys(h).size() >= 4);

        Set<String> beforeStop = objectKeys(h);
        assertThat(producer.isRunning()).as("records still flowing at SIGTERM").isTrue();
        long t0 = System.nanoTime();
        w.sigterm();
        int exit = w.waitFor(Duration.ofSeconds(budgetSeconds + 30));
        long stopMillis = (System.nanoTime() - t0) / 1_000_000;
        LOG.info("graceful test: SIGTERM after {} records put, exit {} after {} ms", producer.count(), exit, stopMillis);
        assertThat(exit).as("exit code after SIGTERM").isZero();
        assertThat(stopMillis).as("stop time (budget %d s)", budgetSeconds).isLessThan((budgetSeconds + 10) * 1000);
        Map<String, String> checkpoints = h.checkpoints();

        // The stop uploaded what the buffers held: new objects, some of them short of the record
        // limit (only a flush finishes such a file while age cannot).
        Lake stopped = Lake.read(h, tmp.resolve("graceful-lake-1"));
        Set<String> written = new TreeSet<>(stopped.keys);
        written.removeAll(beforeStop);
        assertThat(written).as("objects written by the graceful stop").isNotEmpty();
        assertThat(stopped.rowsPerObject().entrySet()).as("rows per object")
                .anyMatch(e -> written.contains(e.getKey()) && e.getValue() < maxRecords);

        assertThat(producer.awaitDone(Duration.ofSeconds(90))).as("producer finished").isTrue();
        List<String> put = producer.all();
        // Exactly the records up to each shard's checkpoint are in the lake: nothing in memory was
        // behind the checkpoint, nothing uploaded is ahead of it.
        assertNoDuplicates(stopped.rows);
        for (String shard : WorkerHarness.lastSequenceByShard(put).keySet()) {
            String cp = checkpoints.get(shard);
            List<String> expected = put.stream()
                    .filter(p -> p.startsWith(shard + "/") && isNumber(cp) && sequence(p).compareTo(new BigInteger(cp)) <= 0)
                    .toList();
            List<String> actual = stopped.rows.stream().filter(r -> r.startsWith(shard + "/")).toList();
            assertThat(new TreeSet<>(actual)).as("rows of %s up to checkpoint %s", shard, cp).isEqualTo(new TreeSet<>(expected));
        }
        assertThat(stopped.rows).as("something was consumed before the stop").isNotEmpty();

        // A new worker carries on from the checkpoints: every record exactly once. Short age
        // limit now, so that the last buffers go up soon after the last record.
        Path yaml2 = h.writeConfig(tmp.resolve("graceful-2.yaml"), Map.of("buffer.maxAgeSeconds", "2",
                "buffer.maxRecords", Integer.toString(maxRecords), "kinesis.shutdownBudgetSeconds", Long.toString(budgetSeconds)));
        WorkerProcess w2 = startWorker("graceful-2", yaml2);
        awaitCheckpoints(h, WorkerHarness.lastSequenceByShard(put), w2, Duration.ofSeconds(90));
        w2.sigterm();
        assertThat(w2.waitFor(Duration.ofSeconds(budgetSeconds + 30))).isZero();
        Lake done = Lake.read(h, tmp.resolve("graceful-lake-2"));
        assertExactlyOnce("rows", done.rows, put);
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertNoProcessorExceptions();
        assertThat(WorkerProcess.assertAuditClean(JAR, yaml2, tmp)).contains("0 overlaps, 0 gaps");
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Two workers share the shards; one dies

    @Test
    void twoWorkersShareTheShardsAndTheSurvivorTakesOverTheKilledOnesLeases() throws Exception {
        WorkerHarness h = new WorkerHarness(stack, "pair", 4);
        Path yaml = h.writeConfig(tmp.resolve("pair.yaml"), Map.of("buffer.maxRecords", "300", "buffer.maxAgeSeconds", "2"));
        Producer producer = produce(h, 5_000, 40, Duration.ofMillis(300), Map.of());
        // Started together: one takes all four leases, the other steals one at once and a second
        // one a lease-taker interval (about 6 s) later, while the first is busy with it.
        WorkerProcess a = startWorker("pair-a", yaml);
        WorkerProcess b = startWorker("pair-b", yaml);

        Set<String> ownersSeen = new HashSet<>();
        poll("the shards balanced two and two", Duration.ofSeconds(60), a, () -> {
            Map<String, String> owners = leaseOwners(h);
            ownersSeen.addAll(owners.values());
            Map<String, Long> perOwner = owners.values().stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            return b.isAlive() && owners.size() == 4 && perOwner.size() == 2 && perOwner.values().stream().allMatch(n -> n == 2);
        });
        assertThat(b.isAlive()).as(b.tail(40)).isTrue();
        // Records flow under shared ownership: an upload after the balance.
        awaitNewObject(h, objectKeys(h), a, Duration.ofSeconds(60));

        Map<String, String> owners = leaseOwners(h);
        String idA = workerId(a);
        String idB = workerId(b);
        LOG.info("pair test: owners before the kill {} (a = {}, b = {})", owners, idA, idB);
        assertThat(new HashSet<>(owners.values())).as("lease owners").containsExactlyInAnyOrder(idA, idB);

        long killedAt = System.nanoTime();
        a.sigkill();
        poll("b holding all four leases", Duration.ofSeconds(60), b, () -> {
            Map<String, String> now = leaseOwners(h);
            return now.size() == 4 && new HashSet<>(now.values()).equals(Set.of(idB));
        });
        LOG.info("pair test: b took over a's leases {} ms after the kill", (System.nanoTime() - killedAt) / 1_000_000);

        assertThat(producer.awaitDone(Duration.ofSeconds(90))).as("producer finished").isTrue();
        List<String> put = producer.all();
        awaitCheckpoints(h, WorkerHarness.lastSequenceByShard(put), b, Duration.ofSeconds(90));
        b.sigterm();
        assertThat(b.waitFor(Duration.ofSeconds(60))).as("exit code after SIGTERM").isZero();

        Lake lake = Lake.read(h, tmp.resolve("pair-lake"));
        LOG.info("pair test: {} records, {} objects, owners seen {}", put.size(), lake.keys.size(), ownersSeen);
        assertExactlyOnce("rows", lake.rows, put);
        assertThat(h.checkpoints()).isEqualTo(WorkerHarness.lastSequenceByShard(put));
        assertNoProcessorExceptions();
        assertThat(WorkerProcess.assertAuditClean(JAR, yaml, tmp)).contains("0 overlaps, 0 gaps");
    }

    // ---------------------------------------------------------------------------------------------
    // Found by the two-worker test: in about three runs of four the second worker steals a lease
    // before the first one has initialized that shard's processor, and KCL then calls leaseLost on
    // a processor whose initialize never ran. It threw a NullPointerException, which KCL answers by
    // retrying the shutdown task every second, forever ("Application exception" in the log). This
    // is the same call without the race.

    @Test
    void aLeaseLostBeforeInitializeDoesNotThrowIntoKcl() {
        LakehoseRecordProcessor processor = new LakehoseRecordProcessor(
                shard -> {
                    throw new AssertionError("no session is needed before initialize");
                },
                Duration.ofSeconds(1), new ShardLeases());
        assertThatCode(() -> processor.leaseLost(LeaseLostInput.builder().build())).doesNotThrowAnyException();
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private WorkerProcess startWorker(String name, Path yaml) {
        WorkerProcess w = WorkerProcess.start(JAR, yaml, tmp, name);
        workers.add(w);
        return w;
    }

    private Producer produce(WorkerHarness h, int total, int batch, Duration period, Map<Integer, byte[]> bad) {
        Producer p = new Producer(h, total, batch, period, bad);
        producers.add(p);
        p.start();
        return p;
    }

    /** Record {@code i}: a change in one of three hours, so every shard interleaves three partitions. */
    static byte[] change(int i) {
        return WorkerHarness.change(i, T0.plus(Duration.ofHours(i % 3)).plusMillis(i * 10L));
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

    /** Polls the bucket (every 20 ms) until an object not in {@code before} appears; returns its key. */
    private static String awaitNewObject(WorkerHarness h, Set<String> before, WorkerProcess w, Duration timeout) {
        AtomicReference<String> found = new AtomicReference<>();
        poll("a new object from " + w, timeout, w, () -> {
            for (String k : objectKeys(h)) {
                if (!before.contains(k) && shardAndLast(k) != null) {
                    found.set(k);
                    return true;
                }
            }
            return false;
        }, 20);
        return found.get();
    }

    /**
     * Like {@link #awaitNewObject}, but returns null instead of failing when there is nothing left
     * to upload: the producer has finished and every record put is checkpointed.
     */
    private static String awaitNewObjectUnlessDone(WorkerHarness h, Set<String> before, WorkerProcess w, Producer producer,
                                                   Duration timeout) {
        AtomicReference<String> found = new AtomicReference<>();
        AtomicBoolean idle = new AtomicBoolean();
        long[] nextIdleCheck = {0};
        poll("a new object from " + w, timeout, w, () -> {
            for (String k : objectKeys(h)) {
                if (!before.contains(k) && shardAndLast(k) != null) {
                    found.set(k);
                    return true;
                }
            }
            if (!producer.isRunning() && System.nanoTime() > nextIdleCheck[0]) {
                nextIdleCheck[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                idle.set(h.checkpoints().equals(WorkerHarness.lastSequenceByShard(producer.all())));
            }
            return idle.get();
        }, 20);
        return found.get();
    }

    /** {shard id, last sequence number} of an object: the shard from its name, the last record from its metadata. */
    private static String[] shardAndLast(String key) {
        Matcher m = OBJECT_NAME.matcher(key.substring(key.lastIndexOf('/') + 1));
        if (!m.matches()) {
            return null;
        }
        String last = stack.s3().client().headObject(b -> b.bucket(stack.s3().bucket()).key(key)).metadata()
                .get("lakehose-last");
        return new String[] {m.group(1), SequenceNumber.parse(last).digits()};
    }

    private static void awaitCheckpoints(WorkerHarness h, Map<String, String> expected, WorkerProcess w, Duration timeout) {
        AtomicReference<Map<String, String>> last = new AtomicReference<>();
        try {
            poll("checkpoints at the last sequence numbers", timeout, w, () -> {
                last.set(h.checkpoints());
                return last.get().equals(expected);
            }, 250);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nexpected " + expected + "\nlast seen " + last.get(), e);
        }
    }

    /** Waits until the worker has logged taking {@code n} leases. */
    private static void awaitLeases(WorkerProcess w, int n, Duration timeout) {
        poll(n + " leases taken by " + w, timeout, w, () -> w.logText().split("lease taken at", -1).length - 1 >= n);
    }

    /** Shard id to leaseOwner (shards without an owner left out). */
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

    /**
     * The KCL worker id (the lease table's {@code leaseOwner}) of a worker, from its lease taker's
     * log lines about itself ("Worker host:uuid saw 4 total leases", "... successfully took").
     */
    private static String workerId(WorkerProcess w) {
        Matcher m = WORKER_ID.matcher(w.logText());
        if (!m.find()) {
            throw new AssertionError("no KCL worker id in the log of " + w + "\n" + w.tail(40));
        }
        return m.group(1);
    }

    /**
     * The record processor must never throw into KCL (docs/design.md, "Input" and "Shard lifecycle": a bad record or a lost lease never
     * stops a shard; KCL skips a batch whose processRecords throws, and retries a throwing
     * leaseLost forever). KCL logs these lines when it catches one.
     */
    private void assertNoProcessorExceptions() {
        List<String> thrown = new ArrayList<>();
        for (WorkerProcess w : workers) {
            List<String> lines = w.logText().lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (PROCESSOR_THREW.matcher(lines.get(i)).find()) {
                    // the line KCL logs, and its cause: inside that line's "exception" field (JSON
                    // logs) or on a line below it (LAKEHOSE_LOG_FORMAT=text)
                    String cause = lines.subList(i, Math.min(lines.size(), i + 30)).stream()
                            .filter(l -> l.contains("Caused by:")).findFirst()
                            .map(l -> l.substring(l.indexOf("Caused by:"), Math.min(l.length(), l.indexOf("Caused by:") + 300)))
                            .orElse("");
                    thrown.add(w.name() + ": " + lines.get(i) + (cause.isEmpty() ? "" : " / " + cause));
                }
            }
        }
        assertThat(thrown).as("record processor exceptions caught by KCL (%d)", thrown.size()).isEmpty();
    }

    private static void poll(String what, Duration timeout, WorkerProcess w, BooleanSupplier done) {
        poll(what, timeout, w, done, 200);
    }

    /** Polls {@code done} until true; fails at the timeout, or at once if {@code w} exits. */
    private static void poll(String what, Duration timeout, WorkerProcess w, BooleanSupplier done, long everyMillis) {
        Await.until(() -> what + (w == null ? "" : "\n" + w.tail(60)), timeout, Duration.ofMillis(everyMillis), () -> {
            if (done.getAsBoolean()) {
                return true;
            }
            if (w != null && !w.isAlive()) {
                throw new AssertionError("waiting for " + what + ": " + w + " exited\n" + w.tail(60));
            }
            return false;
        });
    }

    private static void assertExactlyOnce(String what, List<String> actual, Collection<String> expected) {
        assertNoDuplicates(actual);
        Set<String> lost = new TreeSet<>(expected);
        lost.removeAll(actual);
        Set<String> unexpected = new TreeSet<>(actual);
        unexpected.removeAll(new HashSet<>(expected));
        assertThat(lost).as("%s lost (%d of %d)", what, lost.size(), expected.size()).isEmpty();
        assertThat(unexpected).as("%s never put", what).isEmpty();
        assertThat(actual).as(what).hasSize(new HashSet<>(expected).size());
    }

    private static void assertNoDuplicates(List<String> rows) {
        Map<String, Long> counts = rows.stream().collect(Collectors.groupingBy(Function.identity(), TreeMap::new,
                Collectors.counting()));
        Map<String, Long> duplicated = new TreeMap<>();
        counts.forEach((id, n) -> {
            if (n > 1) {
                duplicated.put(id, n);
            }
        });
        assertThat(duplicated).as("duplicated rows (shard/sequence -> count), %d of %d rows", duplicated.size(),
                rows.size()).isEmpty();
    }

    private static boolean isNumber(String s) {
        return s != null && !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    private static BigInteger sequence(String shardSlashSequence) {
        return new BigInteger(shardSlashSequence.substring(shardSlashSequence.indexOf('/') + 1));
    }

    /** The lake of one stream, downloaded: keys, rows ("shard/sequence") and error lines. */
    private record Lake(Path dir, String stream, List<String> keys, List<String> rows, List<JsonNode> errorLines) {

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
            return new Lake(dir, h.stream(), keys, rows, errors);
        }

        long dataObjects() {
            return keys.stream().filter(k -> k.endsWith(".parquet")).count();
        }

        List<String> errorIds() {
            return errorLines.stream().map(e -> e.get("shard_id").asText() + "/" + e.get("sequence_number").asText()).toList();
        }

        Set<String> errorCodes() {
            return errorLines.stream().map(e -> e.get("error_code").asText()).collect(Collectors.toSet());
        }

        /** Object key to its row count. */
        Map<String, Long> rowsPerObject() {
            Map<String, Long> counts = new HashMap<>();
            if (DuckDbLake.parquetFiles(dir).isEmpty()) {
                return counts;
            }
            try (DuckDbLake db = DuckDbLake.open()) {
                for (Map<String, Object> r : db.query("SELECT filename AS f, count(*) AS n FROM read_parquet("
                        + DuckDbLake.literal(dir.toAbsolutePath() + "/" + stream + "/**/*.parquet") + ", filename = true) GROUP BY filename")) {
                    String file = (String) r.get("f");
                    counts.put(dir.toAbsolutePath().relativize(Path.of(file)).toString(), ((Number) r.get("n")).longValue());
                }
            }
            return counts;
        }
    }

    /**
     * Puts records {@code 0..total-1} in batches at a fixed pace from its own thread; the records
     * at the indexes of {@code bad} get those payloads instead of a change. {@link #all()} is, by
     * index, the "shard/sequence" each record got.
     */
    private static final class Producer implements AutoCloseable {

        private final WorkerHarness h;
        private final int total;
        private final int batch;
        private final Duration period;
        private final Map<Integer, byte[]> bad;
        private final List<String> put = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stop;
        private volatile Throwable failure;

        Producer(WorkerHarness h, int total, int batch, Duration period, Map<Integer, byte[]> bad) {
            this.h = h;
            this.total = total;
            this.batch = batch;
            this.period = period;
            this.bad = bad;
            this.thread = new Thread(this::run, "producer-" + h.stream());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            try {
                long next = System.nanoTime();
                for (int i = 0; i < total && !stop; i += batch) {
                    List<byte[]> records = new ArrayList<>();
                    for (int j = i; j < Math.min(total, i + batch); j++) {
                        records.add(bad.getOrDefault(j, change(j)));
                    }
                    List<String> ids = h.put(records);
                    synchronized (put) {
                        put.addAll(ids);
                    }
                    next += period.toNanos();
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

        int count() {
            synchronized (put) {
                return put.size();
            }
        }

        boolean isRunning() {
            return thread.isAlive();
        }

        boolean awaitDone(Duration timeout) throws InterruptedException {
            thread.join(timeout.toMillis());
            if (failure != null) {
                throw new AssertionError("producer failed", failure);
            }
            return !thread.isAlive() && count() == total;
        }

        List<String> all() {
            synchronized (put) {
                return List.copyOf(put);
            }
        }

        @Override
        public void close() {
            stop = true;
            thread.interrupt();
        }
    }
}
