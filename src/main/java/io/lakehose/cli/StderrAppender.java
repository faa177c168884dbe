package io.lakehose.cli;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.MdcJsonProvider;
import net.logstash.logback.composite.loggingevent.MessageJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;

/**
 * lakehose's log lines on stderr (so that command output stays clean on stdout), in the format
 * {@code LAKEHOSE_LOG_FORMAT} names ({@link LogFormat}): {@code json} by default, {@code text} for
 * a terminal. The value is looked up as logback looks up {@code ${NAME}}: the logging context's
 * properties, then system properties, then the environment. {@link LogbackSetup} attaches it; a
 * logback XML file can name it too ({@code <appender name="STDERR" class="io.lakehose.cli.StderrAppender"/>},
 * as the local stack's does).
 */
public final class StderrAppender extends ConsoleAppender<ILoggingEvent> {

    public StderrAppender() {
        setName("STDERR");
        setTarget("System.err");
    }

    @Override
    public void start() {
        if (getEncoder() == null) {
            setEncoder("text".equals(lookUp(LogFormat.ENV)) ? textEncoder() : jsonEncoder());
        }
        super.start();
    }

    /** A setting's value as logback's ${NAME} finds it, or null. */
    String lookUp(String name) {
        String value = getContext().getProperty(name);
        if (value == null) {
            value = System.getProperty(name);
        }
        return value != null ? value : System.getenv(name);
    }

    /**
     * One JSON object per line: timestamp (ISO-8601, UTC), level, logger, thread, message, shardId
     * (when the event happened during shard work) and exception (the stack as one string). Only
     * the shard id of the MDC: other keys a library might set are not vetted for content.
     */
    private Encoder<ILoggingEvent> jsonEncoder() {
        LoggingEventJsonProviders providers = new LoggingEventJsonProviders();
        LoggingEventFormattedTimestampJsonProvider timestamp = new LoggingEventFormattedTimestampJsonProvider();
        timestamp.setFieldName("timestamp");
        timestamp.setTimeZone("UTC");
        providers.addTimestamp(timestamp);
        LogLevelJsonProvider level = new LogLevelJsonProvider();
        level.setFieldName("level");
        providers.addLogLevel(level);
        LoggerNameJsonProvider logger = new LoggerNameJsonProvider();
        logger.setFieldName("logger");
        providers.addLoggerName(logger);
        LoggingEventThreadNameJsonProvider thread = new LoggingEventThreadNameJsonProvider();
        thread.setFieldName("thread");
        providers.addThreadName(thread);
        providers.addMessage(new MessageJsonProvider());
        MdcJsonProvider mdc = new MdcJsonProvider();
        mdc.addIncludeMdcKeyName("shardId");
        providers.addMdc(mdc);
        StackTraceJsonProvider stack = new StackTraceJsonProvider();
        stack.setFieldName("exception");
        providers.addStackTrace(stack);
        LoggingEventCompositeJsonEncoder encoder = new LoggingEventCompositeJsonEncoder();
        encoder.setContext(getContext());
        encoder.setProviders(providers);
        encoder.start();
        return encoder;
    }

    /** For people at a terminal: one line per event (a stack trace follows on its own lines). */
    private Encoder<ILoggingEvent> textEncoder() {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(getContext());
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level [%thread] %logger{36}"
                + "%replace( [%X{shardId}]){' \\[\\]', ''} - %msg%n");
        encoder.start();
        return encoder;
    }
}
