package io.lakehose.sink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;

/**
 * A directory as the lake ({@code convert}). Files appear under their key by an atomic rename,
 * so a reader never sees half a file. The spool file is moved, not copied, when it is on the
 * same file system (convert spools inside the output directory for that reason).
 */
public final class LocalDirectoryStore implements ObjectStore {

    private final Path root;

    public LocalDirectoryStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
        try {
            Path target = root.resolve(key).normalize();
            if (!target.startsWith(root)) {
                throw new IllegalArgumentException("object key escapes the output directory: " + key);
            }
            Files.createDirectories(target.getParent());
            long bytes = Files.size(file);
            try {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Path staging = target.resolveSibling("." + target.getFileName() + ".partial");
                Files.copy(file, staging, StandardCopyOption.REPLACE_EXISTING);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return CompletableFuture.completedFuture(new StoredObject(target.toString(), bytes));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot store " + key + " in " + root, e));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public java.util.List<String> list(String keyPrefix) {
        int slash = keyPrefix.lastIndexOf('/');
        Path dir = slash < 0 ? root : root.resolve(keyPrefix.substring(0, slash));
        String namePrefix = keyPrefix.substring(slash + 1);
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(namePrefix) && Files.isRegularFile(p))
                    .map(p -> root.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    @Override
    public java.util.Optional<byte[]> read(String key) {
        Path file = root.resolve(key).normalize();
        try {
            return Files.isRegularFile(file) ? java.util.Optional.of(Files.readAllBytes(file)) : java.util.Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {
    }
}
