package io.lakehose.sink;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * A directory as the lake ({@code convert}). Files appear under their key by an atomic rename,
 * so a reader never sees half a file. The spool file is moved, not copied, when it is on the
 * same file system (convert spools inside the output directory for that reason).
 */
public final class LocalDirectoryStore implements ObjectStore {

    /**
     * Where the metadata of conditionally stored objects lives, relative to the root: the lake's
     * control area, which readers of the tables skip (a leading underscore).
     */
    public static final String METADATA_DIR = "_lakehose/object-metadata";

    private final Path root;

    public LocalDirectoryStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public CompletableFuture<StoredObject> put(Path file, String key, String contentType) {
        try {
            Path target = target(key);
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

    /**
     * A hard link is created atomically and only if the name is free, which is the local form of
     * {@code If-None-Match: *}. The winner then records its metadata beside the lake, under
     * {@value #METADATA_DIR} (skipped by readers of the layout), written to a temporary name and
     * renamed, so a reader sees all of it or none.
     */
    @Override
    public CompletableFuture<Optional<StoredObject>> putIfAbsent(Path file, String key, String contentType,
                                                                 Map<String, String> metadata) {
        try {
            Path target = target(key);
            Files.createDirectories(target.getParent());
            if (!linkIfAbsent(target, file)) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            Path meta = metadataFile(key);
            Files.createDirectories(meta.getParent());
            Properties props = new Properties();
            props.putAll(metadata);
            Path staging = meta.resolveSibling(meta.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
            try (OutputStream out = Files.newOutputStream(staging)) {
                props.store(out, null);
            }
            Files.move(staging, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return CompletableFuture.completedFuture(Optional.of(new StoredObject(target.toString(), Files.size(target))));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot store " + key + " in " + root, e));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Optional<Map<String, String>> metadata(String key) {
        if (!Files.isRegularFile(target(key))) {
            return Optional.empty();
        }
        Path meta = metadataFile(key);
        Map<String, String> out = new HashMap<>();
        if (Files.isRegularFile(meta)) {
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                props.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + meta, e);
            }
            props.forEach((k, v) -> out.put((String) k, (String) v));
        }
        return Optional.of(out);
    }

    /** Links {@code file} as {@code target} unless that exists; via a copy beside it when on another file system. */
    private static boolean linkIfAbsent(Path target, Path file) throws IOException {
        try {
            Files.createLink(target, file);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException | UnsupportedOperationException crossDevice) {
            Path staging = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + Thread.currentThread().getId() + ".partial");
            Files.copy(file, staging, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.createLink(target, staging);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(staging);
            }
        }
    }

    private Path target(String key) {
        Path target = root.resolve(key).normalize();
        if (!target.startsWith(root)) {
            throw new IllegalArgumentException("object key escapes the output directory: " + key);
        }
        return target;
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(target(key));
            Files.deleteIfExists(metadataFile(key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + target(key), e);
        }
    }

    private Path metadataFile(String key) {
        return root.resolve(METADATA_DIR).resolve(key + ".properties").normalize();
    }

    @Override
    public List<String> list(String keyPrefix) {
        int slash = keyPrefix.lastIndexOf('/');
        Path dir = slash < 0 ? root : root.resolve(keyPrefix.substring(0, slash));
        String namePrefix = keyPrefix.substring(slash + 1);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(namePrefix) && Files.isRegularFile(p))
                    .map(p -> root.relativize(p).toString().replace(File.separatorChar, '/'))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    @Override
    public Optional<byte[]> read(String key) {
        Path file = root.resolve(key).normalize();
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
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
