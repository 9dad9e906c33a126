package io.trainwatch.metrics.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.store.RunRow;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;

/** Reads the stored verdict of a run: whole, or its headline (recommendation and best epoch) for the run detail. */
@ApplicationScoped
public class AnalysisView {

    private static final List<String> HEADLINE_FIELDS = List.of("epoch", "best_epoch", "best_val_loss",
            "epochs_since_improvement", "recommendation");

    @Inject
    Pool pool;

    @Inject
    ObjectMapper mapper;

    public Uni<Optional<JsonNode>> verdict(RunRow run) {
        return pool.preparedQuery("SELECT verdict::text FROM run_analysis WHERE run_key = $1")
                .execute(Tuple.of(run.runKey()))
                .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(read(rows.iterator().next().getString(0))));
    }

    public Uni<Optional<JsonNode>> headline(RunRow run) {
        return verdict(run).map(v -> v.map(verdict -> {
            ObjectNode h = mapper.createObjectNode();
            for (String f : HEADLINE_FIELDS) {
                if (verdict.has(f)) {
                    h.set(f, verdict.get(f));
                }
            }
            return h;
        }));
    }

    private JsonNode read(String text) {
        try {
            return mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored verdict is not JSON", e);
        }
    }
}
