package io.lakehose.bench;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the bench's generated change records as JSON lines, the input of {@code convert}:
 * {@code java -cp bench/target/lakehose-bench.jar io.lakehose.bench.GenerateJsonl FILE COUNT [BYTES [SEED]]}
 * (defaults 870 B and seed 42, the input of the README's convert figures).
 */
public final class GenerateJsonl {

    private GenerateJsonl() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: GenerateJsonl FILE COUNT [BYTES (default 870) [SEED (default 42)]]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[1]);
        int bytes = args.length > 2 ? Integer.parseInt(args[2]) : 870;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(args[0])), 1 << 20)) {
            long written = ChangeRecordGenerator.writeJsonl(out, count, bytes, seed);
            System.out.printf("%s: %,d records, %,d bytes%n", args[0], count, written);
        }
    }
}
