package io.lakehose.cli;

import io.lakehose.config.ConfigException;
import io.lakehose.encode.SchemaConfigException;
import picocli.CommandLine;

/**
 * Turns exceptions into a short message on stderr instead of a stack trace: a user error names
 * what to fix; anything else is reported with its cause chain. LAKEHOSE_DEBUG=1 prints the trace.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (System.getenv("LAKEHOSE_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
        }
        if (ex instanceof UserError u) {
            cmd.getErr().println("error: " + u.getMessage());
            return u.exitCode;
        }
        if (ex instanceof ConfigException || ex instanceof SchemaConfigException) {
            cmd.getErr().println("error: " + ex.getMessage());
            return 2;
        }
        StringBuilder msg = new StringBuilder("error: ").append(describe(ex));
        for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            msg.append(": ").append(describe(c));
        }
        cmd.getErr().println(msg);
        return 1;
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
