package io.lakehose.commit.folders;

import io.lakehose.buffer.SealedFile;
import io.lakehose.commit.Committed;
import io.lakehose.commit.FileTrimmer;
import io.lakehose.commit.LeaseLostException;
import io.lakehose.commit.ShardCommitter;
import io.lakehose.decode.SequenceNumber;
import io.lakehose.sink.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * One shard's side of the folder fence (docs/design.md, "The fence for folders").
 *
 * <p>The protocol, per partition directory:
 * <ol>
 *   <li>The shard's objects of a directory form one chain: each starts at the directory's first
 *       record after the previous one's last. The mark is the last record stored so far.</li>
 *   <li>A file is stored under the key of its first record after the mark
 *       ({@link ObjectNames}), with {@code If-None-Match: *}, and its last record in its
 *       metadata. Rows at or before the mark are cut off first ({@link FileTrimmer}).</li>
 *   <li>If the key is taken, another writer of this shard (a stale owner, or the new one) won
 *       the race for that range. Its object ends where its metadata says: that becomes the mark,
 *       and the file is tried again from step 2 with what is left of it, if anything. So the loser
 *       goes on exactly where the winner ended, and no record is in two objects.</li>
 *   <li>Files of one directory are stored one after the other, so the chain has no gaps, and a
 *       failed file stops the ones after it.</li>
 * </ol>
 * Each object is complete on its own (a conditional PutObject or CompleteMultipartUpload is
 * atomic), so a writer that wins some directories of a flush and dies leaves nothing to finish:
 * the next owner re-reads from the checkpoint and continues every chain from its mark.
 */
final class FolderShardCommitter implements ShardCommitter {

    private static final Logger LOG = LoggerFactory.getLogger(FolderShardCommitter.class);

    private final Uploader uploader;
    private final ObjectNames names;
    private final StoredMarks marks;
    private final boolean recover;
    private final Map<String, FileTrimmer> trimmers;
    private final Executor resolver;
    private final FenceCounters counters;
    private final Map<String, Directory> directories = new ConcurrentHashMap<>();
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean abandoned;

    /** One partition directory of the shard: its mark and the last file handed over for it. */
    private static final class Directory {
        final String path;
        final AtomicReference<SequenceNumber> mark;
        CompletableFuture<?> last = CompletableFuture.completedFuture(null); // shard thread only

        Directory(String path, SequenceNumber mark) {
            this.path = path;
            this.mark = new AtomicReference<>(mark);
        }

        void advance(SequenceNumber to) {
            mark.accumulateAndGet(to, (a, b) -> a == null || b.compareTo(a) > 0 ? b : a);
        }

        boolean holds(SequenceNumber sequence) {
            SequenceNumber m = mark.get();
            return m != null && sequence.compareTo(m) <= 0;
        }
    }

    /**
     * @param recover    read the marks already in the lake (the service); false for a fresh
     *                   output, where every chain starts empty
     * @param trimmers   by file extension
     * @param resolver   runs what follows a refused write (a HEAD, a trim) off the SDK's threads
     */
    FolderShardCommitter(Uploader uploader, ObjectNames names, boolean recover, Map<String, FileTrimmer> trimmers,
                         Executor resolver, FenceCounters counters, Function<String, List<String>> legacyDirectories) {
        this.uploader = uploader;
        this.names = names;
        this.marks = new StoredMarks(uploader.store(), names, legacyDirectories);
        this.recover = recover;
        this.trimmers = trimmers;
        this.resolver = resolver;
        this.counters = counters;
    }

    @Override
    public boolean isCommitted(String directory, SequenceNumber sequence) {
        return directory(directory).holds(sequence);
    }

    @Override
    public CompletableFuture<Committed> commit(SealedFile file) throws InterruptedException {
        Directory d = directory(file.directory());
        CompletableFuture<Committed> done = uploader.upload(file, d.last, () -> store(file, d));
        d.last = done;
        inFlight.add(done);
        done.whenComplete((ok, err) -> inFlight.remove(done));
        return done;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
    }

    @Override
    public void abandon() {
        abandoned = true;
        // Puts already sent may still land; the fence keeps them from duplicating the new owner's
        // rows. Cancelling stops the client's side of them (and of retries) at once.
        for (CompletableFuture<?> f : inFlight) {
            f.cancel(false);
        }
    }

    private Directory directory(String path) {
        Directory d = directories.get(path);
        if (d == null) {
            d = new Directory(path, recover ? marks.load(path).orElse(null) : null);
            directories.put(path, d);
        }
        return d;
    }

    /** Steps 2 and 3 of the protocol for {@code file}, against the directory's current mark. */
    private CompletableFuture<Committed> store(SealedFile file, Directory d) {
        if (abandoned) {
            return CompletableFuture.failedFuture(new LeaseLostException(names.shardId()));
        }
        SealedFile rest;
        try {
            Optional<SealedFile> after = after(file, d.mark.get());
            if (after.isEmpty()) {
                counters.filesAlreadyStored.increment();
                return CompletableFuture.completedFuture(Committed.NOTHING_NEW);
            }
            rest = after.get();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot trim " + file.spoolFile(), e));
        }
        String key = names.key(d.path, rest.first(), rest.extension());
        Map<String, String> metadata = Map.of(StoredMarks.LAST, rest.last().toString(),
                StoredMarks.RECORDS, Long.toString(rest.records()));
        CompletableFuture<Optional<StoredObject>> put =
                uploader.store().putIfAbsent(rest.spoolFile(), key, rest.contentType(), metadata);
        inFlight.add(put);
        return put.whenComplete((ok, err) -> {
            inFlight.remove(put);
            if (rest != file) {
                rest.deleteSpoolFile();
            }
        }).thenCompose(stored -> {
            if (stored.isPresent()) {
                d.advance(rest.last());
                return CompletableFuture.completedFuture(new Committed(Optional.of(key), rest.records(), rest.bytes()));
            }
            // The HEAD and the trim that follow block: off the SDK's threads.
            return CompletableFuture.supplyAsync(() -> lostRace(file, d, key), resolver).thenCompose(next -> next);
        });
    }

    /** Step 3: another writer holds {@code key}; go on from where its object ends. */
    private CompletableFuture<Committed> lostRace(SealedFile file, Directory d, String key) {
        SequenceNumber winnerLast = marks.lastOf(key);
        counters.racesLost.increment();
        LOG.info("shard {}: {} was already written by another writer of this shard (up to {}); going on from there",
                names.shardId(), key, winnerLast);
        d.advance(winnerLast);
        return store(file, d);
    }

    /** {@code file} as it is, its rows after {@code mark}, or empty when the mark covers all of it. */
    private Optional<SealedFile> after(SealedFile file, SequenceNumber mark) throws IOException {
        if (mark == null || file.first().compareTo(mark) > 0) {
            return Optional.of(file);
        }
        if (file.last().compareTo(mark) <= 0) {
            return Optional.empty();
        }
        FileTrimmer trimmer = trimmers.get(file.extension());
        if (trimmer == null) {
            throw new IOException("no trimmer for " + file.extension() + " files");
        }
        counters.filesTrimmed.increment();
        return trimmer.rowsAfter(file, mark);
    }

}
