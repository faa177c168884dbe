package io.lakehose.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code java -jar lakehose.jar <subcommand>}. */
@Command(name = "lakehose", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "DynamoDB change data capture (via Kinesis) into a partitioned Parquet lake on S3.",
        subcommands = {RunCommand.class, ConvertCommand.class, ReplayCommand.class, BackfillCommand.class, AuditCommand.class,
                MaintainCommand.class,
                PreflightCommand.class, ConfigReferenceCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return executeCommand(new Main(), args);
    }

    /**
     * Runs a command line of another top-level picocli command with this jar's checks and error
     * reporting (LAKEHOSE_LOG_FORMAT, one-line errors); the bench module's entry point uses it.
     */
    public static int executeCommand(Object command, String... args) {
        var badLogFormat = LogFormat.problem(System.getenv());
        if (badLogFormat.isPresent()) {
            System.err.println("error: " + badLogFormat.get());
            return 2;
        }
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler(new OneLineErrors());
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
