package io.trainwatch.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An open text/event-stream read line by line with an idle limit. A daemon thread reads the lines, so the caller
 * can give up on a connection that went silent (no event and no heartbeat for longer than the limit: a half-open
 * TCP connection never ends on its own) instead of blocking forever.
 */
final class SseConnection implements AutoCloseable {

    /** No line arrived within the idle limit. */
    static final class IdleException extends RuntimeException {
        IdleException(Duration limit) {
            super("no data for " + limit.toSeconds() + " s", null, false, false);
        }
    }

    private static final Object END = new Object();

    private final InputStream in;
    private final BlockingQueue<Object> lines = new ArrayBlockingQueue<>(1024);

    SseConnection(InputStream in) {
        this.in = in;
        Thread reader = new Thread(this::readAll, "trainwatch-sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readAll() {
        // The reader is this thread's alone: close() touches only the InputStream, so it never waits on its lock.
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.put(line);
            }
            lines.put(END);
        } catch (IOException e) {
            lines.offer(new UncheckedIOException(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The next line; null at the end of the stream.
     *
     * @throws UncheckedIOException when reading failed
     * @throws IdleException when nothing arrived within {@code idleLimit}
     */
    String nextLine(Duration idleLimit) {
        Object next;
        try {
            next = lines.poll(idleLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
        if (next == null) {
            throw new IdleException(idleLimit);
        }
        if (next == END) {
            lines.offer(END); // stays at the end for a second call
            return null;
        }
        if (next instanceof UncheckedIOException e) {
            throw e;
        }
        return (String) next;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // closing a stream we are leaving anyway: nothing to report
        }
    }
}
