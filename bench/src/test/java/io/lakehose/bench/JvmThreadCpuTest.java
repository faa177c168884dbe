package io.lakehose.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JvmThreadCpuTest {

    @Test
    void hotSpotCompilerAndGcThreadsAreToldApart() {
        assertThat(JvmThreadCpu.kindOf("C2 CompilerThre")).isEqualTo(JvmThreadCpu.Kind.JIT);
        assertThat(JvmThreadCpu.kindOf("C1 CompilerThre")).isEqualTo(JvmThreadCpu.Kind.JIT);
        assertThat(JvmThreadCpu.kindOf("GC Thread#1")).isEqualTo(JvmThreadCpu.Kind.GC);
        assertThat(JvmThreadCpu.kindOf("G1 Conc#0")).isEqualTo(JvmThreadCpu.Kind.GC);
        assertThat(JvmThreadCpu.kindOf("VM Thread")).isEqualTo(JvmThreadCpu.Kind.GC);
        assertThat(JvmThreadCpu.kindOf("main")).isEqualTo(JvmThreadCpu.Kind.OTHER);
        assertThat(JvmThreadCpu.kindOf("bench-shard-0")).isEqualTo(JvmThreadCpu.Kind.OTHER);
    }

    @Test
    void aBusyJavaThreadCountsAsOtherCpu() {
        JvmThreadCpu.Sample before = JvmThreadCpu.sample();
        assertThat(before.nanosByTid()).as("/proc/self/task readable (Linux)").isNotEmpty();
        long t0 = System.nanoTime();
        long x = 0;
        while (System.nanoTime() - t0 < 300_000_000L) {
            x += Long.numberOfTrailingZeros(x + t0);
        }
        JvmThreadCpu.Split split = JvmThreadCpu.between(before, JvmThreadCpu.sample());
        assertThat(split.available()).isTrue();
        // 0.3 s of spinning on this thread: at least a tick (10 ms) of it, counted as neither JIT nor GC.
        assertThat(split.otherNanos()).as("spun %d", x).isGreaterThanOrEqualTo(100_000_000L);
    }
}
