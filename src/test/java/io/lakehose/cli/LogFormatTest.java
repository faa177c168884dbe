package io.lakehose.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shipped logging set-up (LogbackSetup, not the tests' logback-test.xml) in both formats, and the format switch. */
class LogFormatTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonIsTheDefaultWithTheAgreedFieldsAndTheShardIdFromTheMdc() throws Exception {
        assumeTrue(System.getenv(LogFormat.ENV) == null, "the environment chooses a log format");
        List<String> lines = logWith(null);

        assertThat(lines).hasSize(2);
        JsonNode plain = JSON.readTree(lines.get(0));
        assertThat(plain.fieldNames()).toIterable().containsExactlyInAnyOrder("timestamp", "level", "logger", "thread", "message");
        assertThat(plain.get("level").asText()).isEqualTo("INFO");
        assertThat(plain.get("logger").asText()).isEqualTo("io.lakehose.test");
        assertThat(plain.get("thread").asText()).isEqualTo(Thread.currentThread().getName());
        assertThat(plain.get("message").asText()).isEqualTo("lease taken at 42");
        String timestamp = plain.get("timestamp").asText();
        assertThat(timestamp).endsWith("Z"); // UTC
        assertThat(Instant.parse(timestamp)).isBetween(Instant.now().minusSeconds(60), Instant.now());

        JsonNode failed = JSON.readTree(lines.get(1));
        assertThat(failed.get("level").asText()).isEqualTo("ERROR");
        assertThat(failed.get("shardId").asText()).isEqualTo("shardId-000000000007");
        assertThat(failed.has("notVetted")).as("MDC keys other than shardId").isFalse();
        assertThat(failed.get("exception").isTextual()).isTrue();
        assertThat(failed.get("exception").asText()).startsWith("java.lang.IllegalStateException: upload failed")
                .contains("\tat io.lakehose.cli.LogFormatTest");
    }

    @Test
    void textIsOneHumanLinePerEventWithTheShardId() throws Exception {
        List<String> lines = logWith("text");

        assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[.+] io\\.lakehose\\.test - lease taken at 42");
        assertThat(lines.get(1)).contains("ERROR").contains(" [shardId-000000000007] - upload failed").doesNotStartWith("{");
        assertThat(lines.get(2)).startsWith("java.lang.IllegalStateException: upload failed"); // the trace follows
    }

    @Test
    void theJarsLoggingIsFoundByLogbackWithoutAnXmlFile() {
        assertThat(ServiceLoader.load(Configurator.class)).anyMatch(c -> c instanceof LogbackSetup);
        assertThat(LogFormat.class.getResource("/logback.xml")).as("an XML file would be parsed by nothing").isNull();
    }

    @Test
    void onlyJsonAndTextAreAccepted() {
        assertThat(LogFormat.problem(Map.of())).isEmpty();
        assertThat(LogFormat.problem(Map.of(LogFormat.ENV, "json"))).isEmpty();
        assertThat(LogFormat.problem(Map.of(LogFormat.ENV, "text"))).isEmpty();
        assertThat(LogFormat.problem(Map.of(LogFormat.ENV, "JSON"))).hasValue("LAKEHOSE_LOG_FORMAT must be json or text, not 'JSON'");
    }

    /** Configures a fresh logback context as the jar does (LogbackSetup), logs two events, returns stderr's lines. */
    private static List<String> logWith(String format) {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter()); // the adapter MDC.put writes to, as in production
        try {
            // ConsoleAppender writes through System.err at each call, so swapping it captures the output.
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            if (format != null) {
                context.putProperty(LogFormat.ENV, format); // looked up before the environment
            }
            LogbackSetup.configureService(context);
            Logger log = context.getLogger("io.lakehose.test");
            log.info("lease taken at {}", 42);
            try (var shard = MDC.putCloseable("shardId", "shardId-000000000007");
                 var other = MDC.putCloseable("notVetted", "x")) {
                log.error("upload failed", new IllegalStateException("upload failed"));
            }
        } finally {
            context.stop();
            System.setErr(stderr);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
