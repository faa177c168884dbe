package io.lakehose.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line is built with only the subcommand asked for, and the full list otherwise. */
class MainTest {

    @Test
    void eachSubcommandIsMadeUnderItsOwnName() {
        for (String name : Main.SUBCOMMANDS) {
            assertThat(new CommandLine(Main.subcommand(name)).getCommandName()).isEqualTo(name);
        }
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        assertThat(Main.commandLine("convert", "--input", "x").getSubcommands()).containsOnlyKeys("convert");
        assertThat(Main.commandLine("run").getSubcommands()).containsOnlyKeys("run");
    }

    @Test
    void usageHelpAndTyposSeeEverySubcommandInOrder() {
        for (String[] args : new String[][] {{}, {"--help"}, {"help", "convert"}, {"convrt"}, {"--version"}}) {
            assertThat(Main.commandLine(args).getSubcommands().keySet()).containsExactlyElementsOf(Main.SUBCOMMANDS);
        }
    }
}
