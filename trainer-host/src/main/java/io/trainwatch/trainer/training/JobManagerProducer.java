package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.messaging.RunEventPublisher;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Instant;

/** Makes the one {@link JobManager}, publishing through the application's {@link RunEventPublisher}. */
@ApplicationScoped
public class JobManagerProducer {

    private static final Logger LOG = Logger.getLogger(JobManagerProducer.class);

    /** Beside the spool (which only reads its own segment and cursor files): it must survive the process too. */
    static final String OPEN_RUNS_FILE = "open-runs";
    static final String HOST_RESTARTED = "host restarted: the trainer host stopped while the run was training; "
            + "runs are not resumed";

    /** Stopped after the job manager: its runs are finished by then. */
    private Heartbeats heartbeats;

    @Produces
    @Singleton
    JobManager jobManager(TrainerConfig config, RunEventPublisher events) {
        OpenRuns open = new OpenRuns(Path.of(config.spool().dir()).resolve(OPEN_RUNS_FILE));
        reportLostRuns(open, events);
        RunEventSink tracked = event -> {
            open.beforePublish(event);
            events.publish(event);
            open.afterPublish(event);
        };
        heartbeats = new Heartbeats(tracked, config.trainer().heartbeatEvery(), events::backedUp, System::nanoTime).start();
        TrainerConfig.Jobs j = config.jobs();
        return new JobManager(heartbeats, j.maxConcurrent(), j.maxQueued(), j.stepSampleEvery(), TrainerHost.HOST_NAME, j.retained());
    }

    /** Runs a previous process of this host started and never finished (killed): they end here, as failed. */
    static void reportLostRuns(OpenRuns open, RunEventSink events) {
        for (String runId : open.ids()) {
            LOG.warnf("run %s was training when this host stopped; reporting it failed (%s)", runId, HOST_RESTARTED);
            events.publish(new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, RunStatus.FAILED,
                    HOST_RESTARTED, null, "trainer-host", Instant.now()));
            open.closed(runId);
        }
    }

    /** Before beans are destroyed, so the cancelled runs' run.finished still reach the publisher's spool. */
    void onShutdown(@Observes ShutdownEvent event, JobManager jobs) {
        jobs.close();
        stopHeartbeats();
    }

    void close(@Disposes JobManager jobs) {
        jobs.close();
        stopHeartbeats();
    }

    private void stopHeartbeats() {
        if (heartbeats != null) {
            heartbeats.close();
        }
    }
}
