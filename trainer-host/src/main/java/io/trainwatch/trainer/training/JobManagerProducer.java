package io.trainwatch.trainer.training;

import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.messaging.EventPublisher;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Makes the one {@link JobManager}, publishing through the application's {@link EventPublisher}. */
@ApplicationScoped
public class JobManagerProducer {

    @Produces
    @Singleton
    JobManager jobManager(TrainerConfig config, EventPublisher events) {
        TrainerConfig.Jobs j = config.jobs();
        return new JobManager(events, j.maxConcurrent(), j.maxQueued(), j.stepSampleEvery(), TrainerHost.HOST_NAME, j.retained());
    }

    /** Before beans are destroyed, so the cancelled runs' run.finished still reach the publisher's spool. */
    void onShutdown(@Observes ShutdownEvent event, JobManager jobs) {
        jobs.close();
    }

    void close(@Disposes JobManager jobs) {
        jobs.close();
    }
}
