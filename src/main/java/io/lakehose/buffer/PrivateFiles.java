package io.lakehose.buffer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;

/**
 * Spool files and directories readable by their owner only. Spool files hold plaintext CDC
 * data, so the mode is set when the file is created (0600, 0700 for directories): a chmod after
 * the first write would leave a window in which another user can open the file, and keep the
 * descriptor. The umask can only take bits away from these modes. File systems without POSIX
 * permissions get their defaults.
 */
public final class PrivateFiles {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?> FILE_MODE = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> DIRECTORY_MODE = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private PrivateFiles() {
    }

    /** Opens {@code file} for writing with {@code options} (WRITE added); a file it creates is 0600. */
    public static OutputStream newOutputStream(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> opts = options.length == 0
                ? Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)
                : withWrite(options);
        return Channels.newOutputStream(Files.newByteChannel(file, opts, fileMode()));
    }

    /** Creates {@code dir} (and missing parents) as 0700 directories; an existing one is left as it is. */
    public static Path createDirectories(Path dir) throws IOException {
        return POSIX ? Files.createDirectories(dir, DIRECTORY_MODE) : Files.createDirectories(dir);
    }

    private static Set<OpenOption> withWrite(OpenOption[] options) {
        Set<OpenOption> opts = new HashSet<>(Set.of(options));
        opts.add(StandardOpenOption.WRITE);
        return opts;
    }

    private static FileAttribute<?>[] fileMode() {
        return POSIX ? new FileAttribute<?>[] {FILE_MODE} : new FileAttribute<?>[0];
    }
}
