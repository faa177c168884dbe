package io.lakehose.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** README's configuration table is what {@code config-reference} prints, line for line. */
class ConfigReferenceReadmeTest {

    @Test
    void readmeHoldsTheTableConfigReferencePrints() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            new ConfigReferenceCommand().run();
        } finally {
            System.setOut(stdout);
        }
        String table = out.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("| `lake.uri` |");
        assertThat(Files.readString(Path.of("README.md")))
                .as("README's configuration table: paste `java -jar target/lakehose.jar config-reference` there")
                .contains(table);
    }
}
