package io.lakehose.decode;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Surrogates#mayBeEscaped}: the pre-scan that lets the decoder skip its per-string lone
 * surrogate checks. A false "no" would let a lone surrogate into the lake, so every position of
 * the escape against the scan's 8-byte steps is tried (RefusedInputCorpusTest refuses whole records).
 */
class SurrogateEscapeScanTest {

    @Test
    void findsAnEscapedSurrogateAtEveryPositionAndOffset() {
        for (String escape : new String[]{"\\uD800", "\\udc00", "\\uDbFf"}) {
            for (int pad = 0; pad < 20; pad++) {
                String json = "{\"S\":\"" + "x".repeat(pad) + escape + "\"}";
                byte[] framed = ("[garbage]" + json + "[more]").getBytes(StandardCharsets.UTF_8);
                assertThat(Surrogates.mayBeEscaped(framed, 9, json.length())).as(json).isTrue();
                byte[] bare = json.getBytes(StandardCharsets.UTF_8);
                assertThat(Surrogates.mayBeEscaped(bare, 0, bare.length)).as(json).isTrue();
            }
        }
    }

    @Test
    void otherEscapesAndTextOutsideTheRangeNeedNoCheck() {
        for (String text : new String[]{"{\"S\":\"caf\\u00e9 \\\" \\n \\\\ d\"}", "plain ascii text, long enough for words",
                "emoji \uD83D\uDE00 as UTF-8", "", "\\u", "\\ud"}) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            boolean expected = text.equals("\\ud");
            assertThat(Surrogates.mayBeEscaped(b, 0, b.length)).as(text).isEqualTo(expected);
        }
        // the escape just outside the range scanned does not count
        byte[] b = "abcdefgh\\uD800".getBytes(StandardCharsets.UTF_8);
        assertThat(Surrogates.mayBeEscaped(b, 0, 8)).isFalse();
        assertThat(Surrogates.mayBeEscaped(b, 0, 10)).isFalse();
    }
}
