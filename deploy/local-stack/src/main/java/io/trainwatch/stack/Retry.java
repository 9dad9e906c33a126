package io.trainwatch.stack;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Polls a server that is starting until it answers, for at most {@link #READY_TIMEOUT}. */
final class Retry {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    @FunctionalInterface
    interface Check {
        boolean ready() throws Exception;
    }

    private Retry() {
    }

    static long deadline() {
        return System.nanoTime() + READY_TIMEOUT.toNanos();
    }

    /** Polls until the check answers true; the last failure goes into the timeout message. */
    static void until(long deadlineNanos, String what, Check check) {
        Exception last = null;
        long pause = 50;
        while (true) {
            try {
                if (check.ready()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + what, e);
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("Timed out after " + READY_TIMEOUT.toSeconds() + " s waiting for "
                        + what + (last == null ? "" : ": " + last), last);
            }
            try {
                // Polling a server that is starting: a short, growing pause between attempts.
                TimeUnit.MILLISECONDS.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + what, e);
            }
            pause = Math.min(pause * 2, 500);
        }
    }
}
