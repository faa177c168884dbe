package io.lakehose.input;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The sniff that tells a file of JSON records from anything else, on its first bytes. */
class JsonTextCheckTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "\n\n", "  \t\r\n", "{\"a\":1}", "\n  {\"truncated", "[1,2]\n{}", "\"str\"", "-1", "7",
            "true", "null", "\uFEFF{\"bom\":1}", "{\"raw\":\"\u00ff\"}\n\u0001 a control byte on a later line is the decoder's"})
    void jsonTextPasses(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        assertThat(JsonTextCheck.problem(b, b.length)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "PK\u0003\u0004", "\u0089PNG", "<xml/>", "{\"a\":\"\u0000\"}", "{\u001a}", " x"})
    void otherTextAndBinaryAreRefused(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(JsonTextCheck.problem(b, b.length)).isPresent();
    }
}
