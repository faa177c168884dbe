package io.lakehose.buffer;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.sun.security.auth.module.UnixSystem;

/**
 * This process's private directory under a spool root: {@code pid-<pid>-<start>-<random>}, mode
 * 0700, in a root that must belong to the user running lakehose (a root another user owns could
 * be read, or swapped for a link, by that user).
 *
 * <p>Several workers may share a host (and tests run several), and a killed process leaves its
 * files behind. Those are useless (every record in them is read from the stream again, from the
 * last checkpoint) and hold CDC data, so at start the directories of processes that no longer
 * run are deleted. A directory names its owner by pid and start time: a pid alone is reused (in a
 * restarted container the new worker often has the old one's pid), the pair is not.
 */
public final class SpoolDirectory {

    /** pid, then the process's start in epoch milliseconds (absent in the layout before it). */
    private static final Pattern OWNER = Pattern.compile("pid-(\\d+)(?:-(\\d+))?(?:-.*)?");
    private static final String PREFIX = "pid-";

    private SpoolDirectory() {
    }

    /** The spool root is unusable; the message says why, the caller names the setting. */
    public static final class RefusedException extends RuntimeException {
        RefusedException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Creates {@code root} (0700) if missing, refuses it if another user owns it, deletes the
     * directories of processes that no longer run, and creates this process's directory.
     *
     * @throws RefusedException when the root belongs to another user
     */
    public static Path claim(Path root) throws IOException {
        PrivateFiles.createDirectories(root);
        refuseForeignOwner(root);
        try (var dirs = Files.list(root)) {
            dirs.filter(SpoolDirectory::isStale).forEach(SpoolDirectory::deleteTree);
        }
        ProcessHandle self = ProcessHandle.current();
        // createTempDirectory makes 0700 directories on POSIX file systems, with a random suffix:
        // several setups in one JVM (tests) get one each.
        return Files.createTempDirectory(root, PREFIX + self.pid() + "-" + startMillis(self).orElse(0L) + "-");
    }

    /** Deletes {@code dir} and everything in it, as far as it can. */
    public static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort: what is left is deleted by the next start
        }
    }

    /** Whether {@code dir} is a process directory whose process is gone (a pid now used by another process counts). */
    static boolean isStale(Path dir) {
        Matcher m = OWNER.matcher(dir.getFileName().toString());
        if (!m.matches()) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(m.group(1)));
        if (process.isEmpty()) {
            return true;
        }
        if (m.group(2) == null || Long.parseLong(m.group(2)) == 0) {
            return false; // no start time recorded: a live pid is taken as the owner
        }
        Optional<Long> started = startMillis(process.get());
        return started.isPresent() && started.get() != Long.parseLong(m.group(2));
    }

    private static Optional<Long> startMillis(ProcessHandle process) {
        return process.info().startInstant().map(java.time.Instant::toEpochMilli);
    }

    private static void refuseForeignOwner(Path root) throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("unix")) {
            return;
        }
        Path real = root.toRealPath();
        int owner = (Integer) Files.getAttribute(real, "unix:uid");
        long me = new UnixSystem().getUid();
        if (owner != me) {
            throw new RefusedException(real + " belongs to uid " + owner + ", not to this process's user (uid " + me
                    + "): another user could read or replace the spooled CDC data. Use a directory of this user.");
        }
    }
}
