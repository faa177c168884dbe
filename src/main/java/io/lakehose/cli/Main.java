package io.lakehose.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/** Entry point: {@code java -jar lakehose.jar <subcommand>}. */
@Command(name = "lakehose", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "DynamoDB change data capture (via Kinesis) into a partitioned Parquet lake on S3.")
public final class Main implements Runnable {

    /** The subcommands, in the order the usage lists them ({@link #subcommand} makes each). */
    static final List<String> SUBCOMMANDS = List.of("run", "convert", "replay", "backfill", "audit", "maintain",
            "preflight", "config-reference", "help");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return execute(commandLine(args), args);
    }

    /**
     * Runs a command line of another top-level picocli command with this jar's checks and error
     * reporting (LAKEHOSE_LOG_FORMAT, one-line errors); the bench module's entry point uses it.
     */
    public static int executeCommand(Object command, String... args) {
        return execute(new CommandLine(command), args);
    }

    private static int execute(CommandLine cli, String... args) {
        var badLogFormat = LogFormat.problem(System.getenv());
        if (badLogFormat.isPresent()) {
            System.err.println("error: " + badLogFormat.get());
            return 2;
        }
        cli.setExecutionExceptionHandler(new OneLineErrors());
        return cli.execute(args);
    }

    /**
     * lakehose's command line for these arguments. picocli reflects over every option of every
     * subcommand it is given (and loads the classes their fields name): when the first argument
     * names a subcommand, only that one is given, which a short {@code convert} notices. Anything
     * else (no argument, an option, {@code help}, a typo) gets them all, for the usage and the
     * error messages that list them.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        if (SUBCOMMANDS.contains(first) && !first.equals("help")) {
            cli.addSubcommand(first, subcommand(first));
        } else {
            SUBCOMMANDS.forEach(name -> cli.addSubcommand(name, subcommand(name)));
        }
        return cli;
    }

    /** A new instance of the subcommand {@code name}: a switch, so that the others' classes are not loaded. */
    static Object subcommand(String name) {
        return switch (name) {
            case "run" -> new RunCommand();
            case "convert" -> new ConvertCommand();
            case "replay" -> new ReplayCommand();
            case "backfill" -> new BackfillCommand();
            case "audit" -> new AuditCommand();
            case "maintain" -> new MaintainCommand();
            case "preflight" -> new PreflightCommand();
            case "config-reference" -> new ConfigReferenceCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
