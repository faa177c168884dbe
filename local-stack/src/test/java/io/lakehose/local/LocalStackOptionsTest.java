package io.lakehose.local;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./lakehose-local}'s arguments: help without a start, wrong ones refused before anything starts. */
class LocalStackOptionsTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private LocalStackOptions.Parsed parse(String... args) {
        return LocalStackOptions.parse(args, new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8));
    }

    @Test
    void helpPrintsTheOptionsAndStartsNothing() {
        LocalStackOptions.Parsed parsed = parse("--help");
        assertThat(parsed.options()).isEmpty();
        assertThat(parsed.exitCode()).isZero();
        assertThat(out.toString(UTF_8)).contains("Usage: lakehose-local", "--demo", "--buffer-seconds", "rows --endpoint-url");
    }

    @Test
    void anUnknownOptionIsRefusedByName() {
        LocalStackOptions.Parsed parsed = parse("--dmeo");
        assertThat(parsed.options()).isEmpty();
        assertThat(parsed.exitCode()).isEqualTo(2);
        assertThat(err.toString(UTF_8)).contains("--dmeo").contains("lakehose-local --help");
    }

    @Test
    void aBadBufferAgeIsRefused() {
        assertThat(parse("--buffer-seconds", "ten").exitCode()).isEqualTo(2);
        assertThat(err.toString(UTF_8)).contains("--buffer-seconds").contains("ten");
        err.reset();
        assertThat(parse("--buffer-seconds", "0").exitCode()).isEqualTo(2);
        assertThat(err.toString(UTF_8)).contains("--buffer-seconds must be at least 1, not 0");
    }

    @Test
    void theDefaultsAndTheDemo() {
        LocalStackOptions options = parse().options().orElseThrow();
        assertThat(options.demo).isFalse();
        assertThat(options.bufferSeconds).isEqualTo(10);
        LocalStackOptions demo = parse("--demo", "--buffer-seconds", "3").options().orElseThrow();
        assertThat(demo.demo).isTrue();
        assertThat(demo.bufferSeconds).isEqualTo(3);
    }
}
