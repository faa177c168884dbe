package io.lakehose.kcl;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class StopClockTest {

    @Test
    void beforeTheStopShardsMayWaitTheFlushPartAndAFifthOfTheBudgetAtMostFiveSecondsIsKeptForWhatFollows() {
        assertThat(new StopClock(Duration.ofSeconds(25)).flushTimeLeft()).isEqualTo(Duration.ofSeconds(20));
        assertThat(new StopClock(Duration.ofSeconds(15)).flushTimeLeft()).isEqualTo(Duration.ofSeconds(12));
        assertThat(new StopClock(Duration.ofSeconds(100)).flushTimeLeft()).isEqualTo(Duration.ofSeconds(95));
        assertThat(new StopClock(Duration.ofSeconds(25)).timeLeft()).isEqualTo(Duration.ofSeconds(25));
    }

    @Test
    void theTimeIsCountedFromTheStopNotFromWhenAShardIsAsked() {
        AtomicLong now = new AtomicLong(1_000);
        StopClock clock = new StopClock(Duration.ofSeconds(15), now::get);
        now.addAndGet(Duration.ofSeconds(60).toNanos()); // running: nothing is counted yet
        assertThat(clock.flushTimeLeft()).isEqualTo(Duration.ofSeconds(12));

        clock.start();
        now.addAndGet(Duration.ofMillis(700).toNanos()); // KCL calls a shard 0.7 s after the signal
        assertThat(clock.flushTimeLeft()).isEqualTo(Duration.ofMillis(11_300));
        assertThat(clock.timeLeft()).isEqualTo(Duration.ofMillis(14_300));
        clock.start(); // a second signal does not restart it
        assertThat(clock.timeLeft()).isEqualTo(Duration.ofMillis(14_300));

        now.addAndGet(Duration.ofSeconds(13).toNanos());
        assertThat(clock.flushTimeLeft()).isZero();
        assertThat(clock.timeLeft()).isEqualTo(Duration.ofMillis(1_300));
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(clock.timeLeft()).isZero();
    }
}
