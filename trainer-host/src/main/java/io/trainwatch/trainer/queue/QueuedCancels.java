package io.trainwatch.trainer.queue;

import io.trainwatch.contracts.RunCancelRequested;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Cancels for runs this host does not train (yet): a job still waiting in the queue may be taken by this host later,
 * which must then skip it. Bounded: the oldest are forgotten first.
 */
@ApplicationScoped
public class QueuedCancels {

    private static final int REMEMBERED = 10_000;

    private final Map<String, RunCancelRequested> cancels = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RunCancelRequested> eldest) {
            return size() > REMEMBERED;
        }
    };

    public synchronized void remember(RunCancelRequested cancel) {
        cancels.put(cancel.runId(), cancel);
    }

    public synchronized Optional<RunCancelRequested> take(String runId) {
        return Optional.ofNullable(cancels.remove(runId));
    }
}
