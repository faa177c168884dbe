package io.lakehose.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Prints the objects of a local lake, one per line, for people trying it out. */
final class LakeListing {
    private LakeListing() {
    }

    static void print(Path root, PrintStream out) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .filter(p -> !root.relativize(p).toString().startsWith("."))
                    .sorted()
                    .forEach(p -> {
                        try {
                            out.printf("  %-90s %,12d bytes%n", root.relativize(p), Files.size(p));
                        } catch (IOException e) {
                            out.println("  " + root.relativize(p));
                        }
                    });
        }
    }
}
