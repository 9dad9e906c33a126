package io.trainwatch.trainer.training;

/** Set from any thread to stop a run at its next batch boundary; the first request's reason wins. */
public final class CancelSignal {

    /** Who asked and why, and the cancel's id to echo in run.finished; immutable so the training thread reads them together. */
    public record Request(String reason, String requestedBy, String cancelId) {
    }

    private volatile Request request;

    /** @return true if this call was the one that cancelled */
    public boolean cancel(String reason, String requestedBy) {
        return cancel(reason, requestedBy, null);
    }

    /** @return true if this call was the one that cancelled */
    public synchronized boolean cancel(String reason, String requestedBy, String cancelId) {
        if (request != null) {
            return false;
        }
        request = new Request(reason, requestedBy, cancelId);
        return true;
    }

    public boolean cancelled() {
        return request != null;
    }

    public Request request() {
        return request;
    }
}
