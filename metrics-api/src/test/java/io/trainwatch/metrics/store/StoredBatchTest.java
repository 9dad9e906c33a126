package io.trainwatch.metrics.store;

import io.trainwatch.contracts.EpochCompleted;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two stored batches taken together must read as one transaction that stored both, in commit order. */
class StoredBatchTest {

    private static EpochCompleted epoch(String run, int e, double loss) {
        return EpochCompleted.builder(run, e).optTrainLoss(loss).build();
    }

    @Test
    void epochsAreJoinedByEpochAndTheLaterValueWins() {
        StoredBatch first = new StoredBatch(10, Map.of("a", List.of(epoch("a", 3, 1.0), epoch("a", 4, 0.9))),
                Map.of("a", 2), Set.of(), Set.of());
        StoredBatch second = new StoredBatch(20, Map.of("a", List.of(epoch("a", 4, 0.8), epoch("a", 5, 0.7)),
                "b", List.of(epoch("b", 0, 2.0))), Map.of("a", 4), Set.of("a"), Set.of("b"));

        StoredBatch both = first.then(second);

        assertEquals(20, both.lastPosition());
        assertEquals(List.of(3, 4, 5), both.changedEpochs().get("a").stream().map(EpochCompleted::epoch).toList());
        assertEquals(0.8, both.changedEpochs().get("a").get(1).trainLoss());
        assertEquals(List.of(0), both.changedEpochs().get("b").stream().map(EpochCompleted::epoch).toList());
        assertEquals(Set.of("a"), both.outOfOrder());
        assertEquals(Set.of("b"), both.started());
    }

    @Test
    void previousLatestEpochIsTheStateBeforeTheFirstBatchThatTouchedTheRun() {
        // "a" had epoch 2 before the first batch; "n" was new in the first batch; "c" only appears in the second.
        StoredBatch first = new StoredBatch(10, Map.of("a", List.of(epoch("a", 3, 1.0)), "n", List.of(epoch("n", 0, 1.0))),
                Map.of("a", 2), Set.of(), Set.of());
        StoredBatch second = new StoredBatch(20, Map.of("a", List.of(epoch("a", 4, 1.0)), "n", List.of(epoch("n", 1, 1.0)),
                "c", List.of(epoch("c", 8, 1.0))), Map.of("a", 3, "n", 0, "c", 7), Set.of(), Set.of());

        StoredBatch both = first.then(second);

        assertEquals(2, both.previousLatestEpoch().get("a"));
        assertFalse(both.previousLatestEpoch().containsKey("n"), "n had no epoch before the first batch");
        assertEquals(7, both.previousLatestEpoch().get("c"));
        assertTrue(both.changedEpochs().keySet().containsAll(Set.of("a", "n", "c")));
    }

    @Test
    void anEmptyBatchChangesNothing() {
        StoredBatch only = new StoredBatch(5, Map.of("a", List.of(epoch("a", 0, 1.0))), Map.of(), Set.of(), Set.of("a"));
        StoredBatch both = StoredBatch.EMPTY.then(only).then(StoredBatch.EMPTY);
        assertEquals(5, both.lastPosition());
        assertEquals(only.changedEpochs(), both.changedEpochs());
        assertEquals(Set.of("a"), both.started());
        assertTrue(both.previousLatestEpoch().isEmpty());
    }

    @Test
    void runsResumedByEitherBatchAreResumedByThePair() {
        StoredBatch first = new StoredBatch(1, Map.of(), Map.of(), Set.of(), Set.of(), Set.of("a"));
        StoredBatch second = new StoredBatch(2, Map.of(), Map.of(), Set.of(), Set.of(), Set.of("b"));
        assertEquals(Set.of("a", "b"), first.then(second).resumed());
        assertEquals(Set.of("a"), first.then(StoredBatch.EMPTY).resumed());
    }
}
