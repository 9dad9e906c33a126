package io.trainwatch.metrics.publish;

import io.quarkus.logging.LoggingFilter;

import java.util.List;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Drops the Kafka connector's per-record error lines (with stack traces) for the channels HTTP requests publish to:
 * the caller is answered 503 and ProblemMapper logs that refusal in one line, so a refused 1,000-event request
 * writes one line, not 2,000 stack traces. Failures on every other channel are logged as before. (A filter rather
 * than log levels: the same loggers say other things worth keeping.)
 */
@LoggingFilter(name = "http-send-failures")
public final class HttpSendFailureLogFilter implements Filter {

    /** SRMSG18206 "Unable to write to Kafka", SRMSG18212 "was not sent to Kafka ... nacking". */
    private static final List<String> PER_RECORD = List.of("SRMSG18206", "SRMSG18212");
    private static final List<String> HTTP_CHANNELS = List.of("channel run-events-out ", "channel 'run-events-out'",
            "channel run-control ", "channel 'run-control'");

    /**
     * A request answers 503 at its first failed send and cancels the rest; their failures, arriving later, reach
     * Mutiny's dropped-exception log one by one. Only Kafka's retriable errors (broker away) are dropped here, nothing else Mutiny drops.
     */
    private static final String MUTINY = "io.quarkus.mutiny.runtime.MutinyInfrastructure";
    private static final String DROPPED = "Mutiny had to drop the following exception";

    @Override
    public boolean isLoggable(LogRecord record) {
        String logger = record.getLoggerName();
        boolean connector = "io.smallrye.reactive.messaging.kafka".equals(logger);
        if (!connector && !MUTINY.equals(logger)) {
            return true;
        }
        String message = record instanceof org.jboss.logmanager.ExtLogRecord ext ? ext.getFormattedMessage()
                : record.getMessage();
        if (message == null) {
            return true;
        }
        if (!connector) {
            return !(message.startsWith(DROPPED)
                    && record.getThrown() instanceof org.apache.kafka.common.errors.RetriableException);
        }
        if (PER_RECORD.stream().noneMatch(message::startsWith)) {
            return true;
        }
        return HTTP_CHANNELS.stream().noneMatch(message::contains);
    }
}
