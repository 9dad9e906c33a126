package io.trainwatch.trainer.queue;

import io.quarkus.runtime.Startup;
import io.trainwatch.contracts.Topics;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.messaging.RunEventPublisher;
import io.trainwatch.trainer.messaging.KafkaSettings;
import io.trainwatch.trainer.training.JobManager;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.file.Path;

/** Starts this host's {@link JobTaker} when the queue is on, and stops it after the jobs have ended at shutdown. */
@Startup
@ApplicationScoped
public class JobTakerService {

    @Inject
    TrainerConfig config;

    @Inject
    JobManager jobs;

    @Inject
    QueuedCancels cancels;

    @Inject
    RunEventPublisher events;

    @Inject
    KafkaSettings kafka;

    private JobTaker taker;

    @PostConstruct
    void start() {
        if (config.queue().enabled()) {
            TrainerConfig.Queue q = config.queue();
            taker = new JobTaker(kafka, Topics.JOBS, Topics.JOB_TAKERS_GROUP, q.sessionTimeout(), q.maxAttempts(), TrainerHost.INSTANCE_ID,
                    Path.of(config.trainer().dataRoot()), jobs, cancels, events);
        }
    }

    /** True once this host is in the job-takers group (always true with the queue off). */
    public boolean ready() {
        return taker == null || taker.joined();
    }

    @PreDestroy
    void stop() {
        if (taker != null) {
            taker.close();
        }
    }
}
