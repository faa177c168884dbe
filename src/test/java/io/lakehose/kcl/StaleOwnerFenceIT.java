package io.lakehose.kcl;

import io.lakehose.testing.ChangeProducer;
import io.lakehose.testing.HoldingTcpProxy;
import io.lakehose.testing.ProcessAssertions;
import io.lakehose.testing.StreamLake;
import io.lakehose.testing.WorkerHarness;
import io.lakehose.testing.WorkerProcess;
import io.lakehose.testing.WorkerProcessTestBase;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

import static io.lakehose.testing.ProcessAssertions.assertExactlyOnce;
import static io.lakehose.testing.ProcessAssertions.assertNoProcessorExceptions;
import static io.lakehose.testing.ProcessAssertions.atOrPast;
import static io.lakehose.testing.ProcessAssertions.awaitEverythingCheckpointed;
import static io.lakehose.testing.ProcessAssertions.awaitLeases;
import static io.lakehose.testing.ProcessAssertions.awaitLeasesLost;
import static io.lakehose.testing.ProcessAssertions.count;
import static io.lakehose.testing.ProcessAssertions.poll;
import static io.lakehose.testing.ProcessAssertions.pollQuietly;
import static io.lakehose.testing.ProcessAssertions.workerId;
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
class StaleOwnerFenceIT extends WorkerProcessTestBase {

    private static final Logger LOG = LoggerFactory.getLogger(StaleOwnerFenceIT.class);
    private static final boolean LEGACY_NAMES = Boolean.getBoolean("lakehose.it.legacyNames");

    /** The fenced name of a lake object: {@code <stream>~<shard>~<first record in base 36>[_<sub>].<ext>}. */
    private static final Pattern FENCED_NAME =
            Pattern.compile("[^~/]+~shardId-\\d+~[0-9a-z]{37}(?:_[0-9a-z]{13})?\\.(?:parquet|jsonl|jsonl\\.gz)");
    private static final Pattern IN_PROGRESS = Pattern.compile("\\.(?:parquet|jsonl|jsonl\\.gz)-[0-9a-f-]{36}$");
    private static final String RACE_LOST = "was already written by another writer of this shard";

    /** About 30 s of records: 3,000 in batches of 25 every 250 ms, over 2 shards. */
    private static final int TOTAL = 3_000;
    private static final int BATCH = 25;
    private static final Duration PERIOD = Duration.ofMillis(250);
    /** Every 97th record is a bad one (not JSON, or JSON that is no change record): 31 of them. */
    private static final int BAD_EVERY = 97;
    static final IntPredicate BAD = i -> i % BAD_EVERY == BAD_EVERY - 1;

    @Test
    void aFrozenOwnerWakesUpAfterTheNewOwnerRewroteItsRecords() throws Exception {
        // A wakes with full buffers; whether it uploads one before it notices the lease loss is up
        // to timing, so a race is logged but not required here.
        runScenario("frozen", false);
    }

    @Test
    void aFrozenOwnersHeldUploadLandsLateAndLosesTheRace() throws Exception {
        // When the machine is so slow that S3Proxy closes the held connections (idle 30 s) before
        // they are released, and A cancels its uploads before it races, nothing tried the fence:
        // the scenario runs again (exactly once was still asserted), at most three times.
        Outcome o = runScenario("held", true);
        for (int attempt = 2; attempt <= 3 && !LEGACY_NAMES && !o.fenceTried(); attempt++) {
            LOG.warn("held: the fence was not tried (held PUTs {}, races logged by a {}); running the scenario again",
                    o.heldPuts, o.racesA);
            o = runScenario("held" + attempt, true);
        }
        if (!LEGACY_NAMES) {
            // The fence exercised: a held PUT reached S3 after B stored the same range and S3 refused
            // it (412), or A, awake, lost a race on another PUT and logged it. Which of the two happens
            // is timing: when A handles its lease loss first it cancels the held PUTs, whose
            // connections then close unanswered (seen on a loaded machine: 5 held PUTs unanswered,
            // 3 races logged by A). Exactly once is asserted in every case by runScenario.
            assertThat(o.fenceTried())
                    .as("a 412 on a held PUT of a, or a race a logged (held PUTs and answers: %s; races logged: a %d, "
                            + "b %d): without either the fence was not exercised", o.heldPuts, o.racesA, o.racesB)
                    .isTrue();
        }
    }

    /** Races lost as the workers logged them; the held PUTs of A with S3's answers to them. */
    private record Outcome(long racesA, long racesB, List<HoldingTcpProxy.Exchange> heldPuts) {
        /** A held PUT reached S3 and was refused (412), or A lost a race and logged it. */
        boolean fenceTried() {
            return heldPuts.stream().anyMatch(e -> e.status() == 412) || racesA > 0;
        }

    }

    private Outcome runScenario(String name, boolean holdUpload) throws Exception {
        long started = System.nanoTime();
        WorkerHarness h = new WorkerHarness(aws.stack(), name, 2);
        HoldingTcpProxy proxy = workers.closeAfter(HoldingTcpProxy.start(aws.s3().endpoint().getPort()));
        // Leases expire 3 s after the last renewal; files are sealed by age every second, or at 50
        // records, so that uploads happen all the time and some are always in flight.
        Map<String, String> common = Map.of("kinesis.failoverTimeMillis", "3000", "buffer.maxRecords", "50",
                "buffer.maxAgeSeconds", "1");
        Map<String, String> viaProxy = new LinkedHashMap<>(common);
        viaProxy.put("s3.endpoint", proxy.endpoint().toString());
        Path yamlA = h.writeConfig(tmp.resolve(name + "-a.yaml"), viaProxy);
        Path yamlB = h.writeConfig(tmp.resolve(name + "-b.yaml"), common);

        ChangeProducer producer = workers.closeAfter(producer(h)).start();

        // 1. A alone: both leases, something uploaded and checkpointed.
        WorkerProcess a = workers.start(JAR, yamlA, tmp, name + "-a");
        awaitLeases(a, 2, Duration.ofSeconds(60));
        poll("objects and checkpoints of both shards from " + a, Duration.ofSeconds(60), a,
                () -> !h.objectKeys().isEmpty() && h.checkpoints().values().stream().filter(ProcessAssertions::isNumber).count() == 2);
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
        Set<String> keysAtFreeze = h.objectKeys();
        LOG.info("{}: froze {} with checkpoints {}; last put {}; {} objects; held requests {}", name, a,
                checkpointsAtFreeze, putBeforeFreeze, keysAtFreeze.size(), held);

        awaitNoUploadInProgress(h);

        // 3. B takes both shards (once A's leases expired) and commits past everything A can have
        //    read: every record A held in a buffer or an upload is in B's objects now.
        WorkerProcess b = workers.start(JAR, yamlB, tmp, name + "-b");
        poll("both leases owned by " + b, Duration.ofSeconds(60), b, () -> {
            Map<String, String> owners = h.leaseOwners();
            return owners.size() == 2 && !owners.containsValue(idA) && count(b, "lease taken at") >= 2;
        });
        String idB = workerId(b);
        poll("checkpoints of " + b + " past every record put before the freeze", Duration.ofSeconds(60), b,
                () -> atOrPast(h.checkpoints(), putBeforeFreeze));
        Set<String> writtenByB = new TreeSet<>(h.objectKeys());
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

        awaitLeasesLost(a, 2, Duration.ofSeconds(60));
        if (holdUpload) {
            // Every held PUT reaches S3 and gets its answer, whether or not A still listens (or
            // never reaches it: S3Proxy closes a connection idle for 30 s, and A retries).
            long heldPuts = held.stream().filter(l -> l.startsWith("PUT ")).count();
            pollQuietly(Duration.ofSeconds(30), () -> heldPutAnswers(proxy).size() >= heldPuts);
        }
        List<String> put = awaitEverythingCheckpointed(h, producer, b, Duration.ofSeconds(120), Duration.ofSeconds(90));
        Map<String, String> last = WorkerHarness.lastSequenceByShard(put);
        // Once awake, A may steal one lease back to balance two workers on two shards (KCL's lease
        // taker): that is one more hand-over, not a failure.
        Map<String, String> ownersAtEnd = h.leaseOwners();

        // 5. Stop both; read the lake.
        boolean aAliveAtEnd = a.isAlive();
        a.sigterm();
        b.sigterm();
        int exitB = b.waitFor(Duration.ofSeconds(60));
        int exitA = a.waitFor(Duration.ofSeconds(60));
        long racesA = count(a, RACE_LOST);
        long racesB = count(b, RACE_LOST);
        List<HoldingTcpProxy.Exchange> heldPuts = heldPutAnswers(proxy);
        StreamLake lake = StreamLake.read(h, tmp.resolve(name + "-lake"));
        LOG.info("{}: {} records put ({} bad), {} objects, a frozen {} ms; races lost (logged): a {}, b {}; "
                        + "held PUTs of a answered {}; statuses to a {} (other refusals {}); owners at the end {} (a = {}, b = {}); "
                        + "a {} at the end, exit a {}, exit b {}; {} s", name, put.size(), producer.ids(BAD).size(),
                lake.keys().size(), frozenMillis, racesA, racesB,
                heldPuts.stream().map(e -> e.status() + " " + e.requestLine()).toList(), proxy.statusCounts(),
                proxy.exchanges().stream().filter(e -> e.status() >= 400 && e.status() != 412).limit(5).toList(),
                ownersAtEnd, idA, idB, aAliveAtEnd ? "running" : "exited", exitA, exitB,
                (System.nanoTime() - started) / 1_000_000_000L);

        Set<String> badIds = producer.ids(BAD);
        List<String> good = put.stream().filter(p -> !badIds.contains(p)).toList();
        assertExactlyOnce("rows", lake.rows(), good);
        assertExactlyOnce("error lines", lake.errorIds(), badIds);
        assertThat(h.checkpoints()).isEqualTo(last);
        assertThat(exitB).as("exit code of b after SIGTERM").isZero();
        if (!LEGACY_NAMES) {
            List<String> otherNames = lake.keys().stream()
                    .filter(k -> !FENCED_NAME.matcher(k.substring(k.lastIndexOf('/') + 1)).matches()).toList();
            assertThat(otherNames).as("objects not named <stream>~<shard>~<start>").isEmpty();
            // The operator's check of the same promise: the shipped jar's audit against the bucket and the lease table.
            String report = WorkerProcess.assertAuditClean(JAR, yamlB, tmp);
            LOG.info("{}: {}", name, report.strip());
            assertThat(report).contains("0 overlaps, 0 gaps").contains("2 checkpoints");
        }
        if (holdUpload) {
            // Each held PUT's key is the start of the new owner's object of that range.
            Set<String> keys = new HashSet<>(lake.keys());
            List<String> heldKeys = held.stream().filter(l -> l.startsWith("PUT ")).map(StaleOwnerFenceIT::keyOf).toList();
            LOG.info("{}: held keys in the lake: {} of {}; missing {}", name, heldKeys.stream().filter(keys::contains).count(),
                    heldKeys.size(), heldKeys.stream().filter(k -> !keys.contains(k)).toList());
        }
        assertNoProcessorExceptions(workers.all());
        return new Outcome(racesA, racesB, heldPuts);
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    /**
     * Puts records {@code 0..TOTAL-1} at a fixed pace: changes in one of three hours (so every
     * shard interleaves three partitions), every {@value #BAD_EVERY}th one a bad payload
     * ({@link #BAD}). Also the records of {@link IcebergStaleOwnerIT}.
     */
    static ChangeProducer producer(WorkerHarness h) {
        return new ChangeProducer(h, TOTAL, BATCH, PERIOD, ChangeProducer.changesWithBad(BAD, "orders"));
    }

    /** The object key of a path-style request line ("PUT /bucket/key HTTP/1.1"). */
    private static String keyOf(String requestLine) {
        String path = requestLine.split(" ")[1];
        String key = path.substring(path.indexOf('/', 1) + 1);
        return URLDecoder.decode(key, StandardCharsets.UTF_8);
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
                () -> h.objectKeys().stream().noneMatch(k -> IN_PROGRESS.matcher(k).find()));
        long waited = (System.nanoTime() - t0) / 1_000_000;
        if (waited > 500) {
            LOG.info("{}: waited {} ms for an upload in progress at the freeze to leave S3Proxy's listing", h.stream(), waited);
        }
    }
}
