package io.lakehose.preflight;

import io.lakehose.preflight.CheckResult.Status;

import java.io.PrintStream;
import java.util.List;

/** Prints check results, one line per check plus what to do for each failure, and the exit code. */
public final class PreflightReport {

    private PreflightReport() {
    }

    /** 0 when nothing failed (warnings and skips included), 1 when a check failed. 2 stays for usage errors. */
    public static int exitCode(List<CheckResult> results) {
        return results.stream().anyMatch(r -> r.status() == Status.FAIL) ? 1 : 0;
    }

    public static void print(List<CheckResult> results, PrintStream out) {
        for (CheckResult r : results) {
            out.printf("%-4s  %-11s  %s%n", r.status(), r.check(), r.detail());
            r.failure().ifPresent(f -> {
                out.println("      why: " + f.explanation());
                for (CheckResult.Fix fix : f.fixes()) {
                    out.println("      fix, in the " + fix.where() + ":");
                    fix.statement().lines().forEach(line -> out.println("        " + line));
                }
            });
        }
        long failed = count(results, Status.FAIL);
        out.printf("preflight: %d passed, %d failed, %d warnings, %d skipped%s%n", count(results, Status.PASS), failed,
                count(results, Status.WARN), count(results, Status.SKIP),
                failed == 0 ? "" : " (exit code 1)");
    }

    private static long count(List<CheckResult> results, Status status) {
        return results.stream().filter(r -> r.status() == status).count();
    }
}
