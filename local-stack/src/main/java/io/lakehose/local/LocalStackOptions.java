package io.lakehose.local;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * The options of {@code ./lakehose-local}, parsed strictly: {@code --help} prints them without
 * starting anything, and an unknown option or a bad value fails before the stack starts, naming it.
 */
@Command(name = "lakehose-local",
        description = {
                "Runs lakehose on a local AWS stack (emulators only): kinesis-local, DynamoDB Local, S3Proxy, "
                        + "a DynamoDB Streams -> Kinesis bridge and the worker, until Ctrl-C.",
                "`lakehose-local rows --endpoint-url URL s3://BUCKET/` prints the rows of a running stack's lake."})
final class LocalStackOptions {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--demo", description = "Put three items, wait for their rows in the lake and the table, print them and exit.")
    boolean demo;

    @Option(names = "--buffer-seconds", paramLabel = "N", defaultValue = "10",
            description = "buffer.maxAgeSeconds of the worker: how long a file stays open (default: ${DEFAULT-VALUE}).")
    int bufferSeconds;

    /** The options, or empty with the exit code when help or version was printed or the arguments are wrong. */
    static Parsed parse(String[] args, PrintStream out, PrintStream err) {
        LocalStackOptions options = new LocalStackOptions();
        CommandLine cli = new CommandLine(options);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        try {
            CommandLine.ParseResult result = cli.parseArgs(args);
            if (CommandLine.printHelpIfRequested(result)) {
                return new Parsed(Optional.empty(), 0);
            }
            if (options.bufferSeconds < 1) {
                throw new CommandLine.ParameterException(cli,
                        "--buffer-seconds must be at least 1, not " + options.bufferSeconds);
            }
            return new Parsed(Optional.of(options), 0);
        } catch (CommandLine.ParameterException e) {
            err.println("lakehose-local: " + e.getMessage());
            err.println("Try 'lakehose-local --help'.");
            return new Parsed(Optional.empty(), 2);
        }
    }

    record Parsed(Optional<LocalStackOptions> options, int exitCode) {
    }
}
