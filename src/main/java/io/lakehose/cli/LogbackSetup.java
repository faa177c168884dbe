package io.lakehose.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The service's logging, set up in code; logback finds this through {@code META-INF/services}:
 * the {@link StderrAppender}, the root at {@code LAKEHOSE_LOG_LEVEL} (default INFO), chatty
 * libraries at WARN. In code rather than a logback.xml because parsing the XML (an XML parser,
 * logback's configuration model: some 300 classes) cost a short {@code convert} about a third of
 * a second of CPU before its first record; the libraries log through slf4j, so logback starts in
 * every command.
 *
 * <p>A {@code logback.configurationFile} system property or a {@code logback-test.xml} on the class
 * path (the local stack, tests) still wins: then this steps aside and logback reads that file.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogbackSetup extends ContextAwareBase implements Configurator {

    static final String LEVEL_ENV = "LAKEHOSE_LOG_LEVEL";
    private static final String[] QUIET_LIBRARIES = {"org.apache.parquet", "software.amazon.awssdk", "io.netty"};

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || LogbackSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        configureService(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** What the jar's logging is; the format and level are looked up as {@link StderrAppender#lookUp} does. */
    static void configureService(LoggerContext context) {
        StderrAppender stderr = new StderrAppender();
        stderr.setContext(context);
        stderr.start();
        for (String library : QUIET_LIBRARIES) {
            context.getLogger(library).setLevel(Level.WARN);
        }
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        String level = stderr.lookUp(LEVEL_ENV);
        // Level.toLevel's fallback for a name it does not know is the one logback's XML gives it.
        root.setLevel(Level.toLevel(level == null || level.isEmpty() ? "INFO" : level, Level.DEBUG));
        root.addAppender(stderr);
    }
}
