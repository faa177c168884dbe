package io.lakehose.bench;

import io.lakehose.cli.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Issue 16's "many partitions, any order" for {@code convert}, as whole processes: the same records
 * over many tables in a random order, and in few tables in time order ({@link PartitionedInput}),
 * converted by {@code java -Xmx<heap> -jar lakehose.jar convert} in alternation. Per run it prints
 * the wall time, the Parquet files per partition (most and mean), and the peak heap from the JVM's
 * GC log (used before a collection, and left after one); then the median and range of each.
 *
 * <p>{@code java -cp bench/target/lakehose-bench.jar io.lakehose.bench.PartitionsBench --runs 3}
 */
@Command(name = "partitions-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "convert of many partitions in a random order against few in time order: time, files per "
                + "partition, peak heap.")
public final class PartitionsBench implements Callable<Integer> {

    @Option(names = "--records", defaultValue = "100000", description = "Records (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--tables", defaultValue = "200", description = "Tables of the random-order input (default: ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--few-tables", defaultValue = "2", description = "Tables of the time-ordered input (default: ${DEFAULT-VALUE}).")
    int fewTables;

    @Option(names = "--hours", defaultValue = "24", description = "Hours the event times span (default: ${DEFAULT-VALUE}).")
    int hours;

    @Option(names = "--size", defaultValue = "870", description = "Mean record size in bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--runs", defaultValue = "3", description = "Runs of each input (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--heap", defaultValue = "512m", description = "-Xmx of the convert process (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--jar", defaultValue = "target/lakehose.jar", description = "The service's jar (default: ${DEFAULT-VALUE}).")
    Path jar;

    @Option(names = "--seed", defaultValue = "16", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--keep-inputs", paramLabel = "DIR", description = "Write the two inputs into DIR and keep them "
            + "(to run convert on them by hand); the runs still use a temp directory.")
    Path keepInputs;

    public static void main(String[] args) {
        System.exit(Main.executeCommand(new PartitionsBench(), args));
    }

    /** One convert process. */
    record Run(String input, double seconds, int partitions, int files, int mostFilesInAPartition, long rows,
               long parquetBytes, long peakUsedBytes, long peakAfterGcBytes) {
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("lakehose-partitions-");
        try {
            PartitionedInput in = PartitionedInput.generate(records, tables, hours, size, seed);
            Path many = dir.resolve("many-random.jsonl");
            Path few = dir.resolve("few-ordered.jsonl");
            long bytes = in.writeShuffled(many, seed);
            in.writeInOrder(few, fewTables);
            if (keepInputs != null) {
                Files.createDirectories(keepInputs);
                Files.copy(many, keepInputs.resolve(many.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                Files.copy(few, keepInputs.resolve(few.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            System.out.printf(Locale.ROOT, "%,d records, %.1f MB; %s: %d tables x %d h, random order; %s: %d tables, "
                            + "time order; convert -Xmx%s, %s%n", records, bytes / 1e6, many.getFileName(), tables, hours,
                    few.getFileName(), fewTables, heap, jar);
            System.out.println("load before: " + uptime());
            Map<String, List<Run>> byInput = new HashMap<>();
            for (int r = 0; r < runs; r++) {
                for (Path input : List.of(many, few)) {
                    Run run = convert(input, dir.resolve("out-" + r + "-" + input.getFileName()), dir.resolve("gc.log"));
                    byInput.computeIfAbsent(run.input, k -> new ArrayList<>()).add(run);
                    System.out.printf(Locale.ROOT, "  %-22s %6.2f s  %,6d partitions  %,7d files  most per partition %3d"
                                    + "  rows %,d  Parquet %.1f MB  heap peak %4d MB, after GC %4d MB%n", run.input, run.seconds,
                            run.partitions, run.files, run.mostFilesInAPartition, run.rows, run.parquetBytes / 1e6,
                            run.peakUsedBytes >> 20,
                            run.peakAfterGcBytes >> 20);
                }
            }
            System.out.println("load after: " + uptime());
            if (runs == 0) {
                return 0;
            }
            for (Path input : List.of(many, few)) {
                List<Run> rs = byInput.get(input.getFileName().toString());
                System.out.printf(Locale.ROOT, "%-22s time %s s, files/partition (most) %s, heap peak %s MB, after GC %s MB%n",
                        input.getFileName(), stats(rs, Run::seconds, "%.2f"),
                        stats(rs, x -> x.mostFilesInAPartition, "%.0f"),
                        stats(rs, x -> x.peakUsedBytes >> 20, "%.0f"), stats(rs, x -> x.peakAfterGcBytes >> 20, "%.0f"));
            }
            List<Run> m = byInput.get(many.getFileName().toString());
            List<Run> f = byInput.get(few.getFileName().toString());
            System.out.printf(Locale.ROOT, "time ratio (median) %s / %s: %.2f%n", many.getFileName(), few.getFileName(),
                    median(m, Run::seconds) / median(f, Run::seconds));
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    private Run convert(Path input, Path out, Path gcLog) throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
                "-Xlog:gc:file=" + gcLog + "::filecount=0", "-jar", jar.toString(), "convert", "-i", input.toString(),
                "-o", out.toString());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("convert failed (" + p.exitValue() + "): " + output);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<Path, Integer> perPartition = new HashMap<>();
        long parquetBytes = 0;
        try (Stream<Path> files = Files.walk(out)) {
            for (Path x : files.filter(x -> x.getFileName().toString().endsWith(".parquet")).toList()) {
                perPartition.merge(x.getParent(), 1, Integer::sum);
                parquetBytes += Files.size(x);
            }
        }
        long[] heapPeaks = gcPeaks(gcLog);
        Matcher rows = Pattern.compile("([0-9,]+) rows").matcher(output);
        Run run = new Run(input.getFileName().toString(), seconds, perPartition.size(),
                perPartition.values().stream().mapToInt(Integer::intValue).sum(),
                perPartition.values().stream().mapToInt(Integer::intValue).max().orElse(0),
                rows.find() ? Long.parseLong(rows.group(1).replace(",", "")) : -1, parquetBytes, heapPeaks[0],
                heapPeaks[1]);
        deleteTree(out);
        Files.deleteIfExists(gcLog);
        return run;
    }

    /** From a -Xlog:gc log, the highest heap before a collection and the highest after one, in bytes. */
    static long[] gcPeaks(Path gcLog) throws IOException {
        Pattern p = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)");
        long before = 0;
        long after = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                before = Math.max(before, Long.parseLong(m.group(1)) << 20);
                after = Math.max(after, Long.parseLong(m.group(2)) << 20);
            }
        }
        return new long[]{before, after};
    }

    private interface Figure {
        double of(Run r);
    }

    private static double median(List<Run> rs, Figure f) {
        double[] v = rs.stream().mapToDouble(f::of).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String stats(List<Run> rs, Figure f, String format) {
        double min = rs.stream().mapToDouble(f::of).min().orElse(Double.NaN);
        double max = rs.stream().mapToDouble(f::of).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, format + " (" + format + "-" + format + ")", median(rs, f), min, max);
    }

    static String uptime() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path x : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
