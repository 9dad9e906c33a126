package io.trainwatch.trainer.messaging;

import io.quarkus.runtime.Startup;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.queue.QueuedCancels;
import io.trainwatch.trainer.training.JobManager;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Hands each {@code run.cancel-requested} that the {@link ControlTopicConsumer} reads to its run: cancels the runs this
 * host owns, and remembers the others in {@link QueuedCancels} (they may still wait in the job queue).
 */
@Startup
@ApplicationScoped
public class CancelDispatcher {

    private static final Logger LOG = Logger.getLogger(CancelDispatcher.class);

    @Inject
    TrainerConfig config;

    @Inject
    JobManager jobs;

    @Inject
    QueuedCancels queuedCancels;

    @Inject
    KafkaSettings kafka;

    private ControlTopicConsumer consumer;

    @PostConstruct
    void start() {
        if (!config.control().enabled()) {
            return;
        }
        // A group of its own: every trainer host must see every cancel.
        consumer = new ControlTopicConsumer(kafka, "trainwatch-trainer-control-" + TrainerHost.INSTANCE_ID,
                config.control().lookBack(), cancel -> {
            if (jobs.owns(cancel.runId())) {
                jobs.cancel(cancel.runId(), cancel.reason(), cancel.requestedBy(), cancel.cancelId());
            } else {
                // It may still wait in the job queue: whichever host takes it later skips it.
                queuedCancels.remember(cancel);
                LOG.debugf("cancel for run %s kept: not trained here (yet)", cancel.runId());
            }
        });
    }

    /** True once cancels published from now on will be seen (false when control is disabled). */
    public boolean ready() {
        return consumer != null && consumer.assigned();
    }

    @PreDestroy
    void stop() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
