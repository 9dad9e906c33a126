package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.metrics.store.EventEnvelope;
import io.trainwatch.metrics.store.RunStore;
import io.trainwatch.stack.LocalStackTestResource;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage budget: at most 25 KB per 100 epochs of a typical run (every standard field, six parameter gradient
 * norms), tables and indexes, measured with pg_total_relation_size over 50 runs of 100 epochs.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class StorageBudgetTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    static final int RUNS = 50;
    static final int EPOCHS = 100;

    @Inject
    RunStore store;

    @Inject
    Pool pool;

    @Test
    void aHundredEpochsTakeAtMost25KB() {
        long before = size();
        for (int r = 0; r < RUNS; r++) {
            String runId = TestRuns.newRunId("storage");
            List<EventEnvelope> batch = new ArrayList<>();
            batch.add(new EventEnvelope(CloudEvents.newId(), TestRuns.started(runId, "proj-storage", EPOCHS)));
            for (int e = 0; e < EPOCHS; e++) {
                batch.add(new EventEnvelope(CloudEvents.newId(), TestRuns.epoch(runId, e, EPOCHS)));
            }
            store.store(batch).await().indefinitely();
        }
        long after = size();
        double perHundred = (after - before) / (double) RUNS;
        System.out.printf("storage: %.0f bytes per 100 epochs (epoch_metrics + runs, tables + indexes)%n", perHundred);
        var detail = pool.query("SELECT pg_relation_size('epoch_metrics'), pg_indexes_size('epoch_metrics'), "
                + "pg_relation_size('runs'), pg_indexes_size('runs'), (SELECT avg(pg_column_size(e.*)) FROM epoch_metrics e), "
                + "(SELECT count(*) FROM epoch_metrics), (SELECT avg(pg_column_size(r.*)) FROM runs r), (SELECT count(*) FROM runs)")
                .execute().await().indefinitely().iterator().next();
        System.out.printf("storage detail: epoch heap %d, epoch indexes %d, runs heap %d, runs indexes %d, "
                        + "avg epoch row %s bytes over %d rows, avg run row %s bytes over %d rows%n",
                detail.getLong(0), detail.getLong(1), detail.getLong(2), detail.getLong(3), detail.getValue(4),
                detail.getLong(5), detail.getValue(6), detail.getLong(7));
        assertTrue(perHundred <= 25 * 1024, "bytes per 100 epochs: " + perHundred);
    }

    private long size() {
        return pool.query("SELECT pg_total_relation_size('epoch_metrics') + pg_total_relation_size('runs')")
                .execute().await().indefinitely().iterator().next().getLong(0);
    }
}
