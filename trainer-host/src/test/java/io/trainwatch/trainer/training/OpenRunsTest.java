package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.TrainwatchEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A host killed mid-run: the next start finds the runs it had open and reports each failed, once. */
class OpenRunsTest {

    @TempDir
    Path spool;

    @Test
    void runsLeftOpenByAKilledHostAreReportedFailedAtTheNextStart() {
        Path file = spool.resolve(JobManagerProducer.OPEN_RUNS_FILE);
        OpenRuns first = new OpenRuns(file);
        RecordingSink published = new RecordingSink();
        RunEventSink tracked = event -> {
            first.beforePublish(event);
            published.publish(event);
            first.afterPublish(event);
        };
        tracked.publish(RunStarted.of("run-a"));
        tracked.publish(RunStarted.of("run-b"));
        tracked.publish(new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, "run-a", RunStatus.COMPLETED, null, 3,
                null, null));
        // kill -9 here: run-b never finished. A new process reads the file.
        OpenRuns second = new OpenRuns(file);
        assertEquals(List.of("run-b"), second.ids());

        RecordingSink restart = new RecordingSink();
        JobManagerProducer.reportLostRuns(second, restart);
        RunFinished lost = restart.finished();
        assertEquals("run-b", lost.runId());
        assertEquals(RunStatus.FAILED, lost.status());
        assertTrue(lost.reason().startsWith("host restarted"), lost.reason());
        assertEquals(1, restart.events.size());

        // Reported once: a third start has nothing left to report.
        RecordingSink third = new RecordingSink();
        JobManagerProducer.reportLostRuns(new OpenRuns(file), third);
        assertEquals(List.of(), third.events);
    }
}
