package io.trainwatch.trainer.training;

/** Set from any thread to stop a run at its next batch boundary; the first request's reason wins. */
public final class CancelSignal {

    /** Who asked and why; immutable so the training thread reads both together. */
    public record Request(String reason, String requestedBy) {
    }

    private volatile Request request;

    /** @return true if this call was the one that cancelled */
    public synchronized boolean cancel(String reason, String requestedBy) {
        if (request != null) {
            return false;
        }
        request = new Request(reason, requestedBy);
        return true;
    }

    public boolean cancelled() {
        return request != null;
    }

    public Request request() {
        return request;
    }
}
