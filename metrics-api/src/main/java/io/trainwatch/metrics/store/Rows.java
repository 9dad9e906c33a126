package io.trainwatch.metrics.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.metrics.read.EpochRow;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Maps result rows to {@link RunRow} and {@link EpochRow}. */
@ApplicationScoped
public class Rows {

    public static final String RUN_COLUMNS = "run_key, id, status, name, project, tags, started::text AS started, started_at, "
            + "total_epochs, latest_epoch, epoch_count, step_count, metric_names, cancel_reason, "
            + "cancel_requested_by, cancel_requested_at, finish_reason, finish_requested_by, epochs_completed, finished_at, "
            + "status_position, epochs_position, steps_position, created_at, updated_at";

    @Inject
    ObjectMapper mapper;

    public RunRow runRow(Row r) {
        return new RunRow(r.getInteger("run_key"), r.getString("id"), r.getString("status"), r.getString("name"),
                r.getString("project"), list(r.getArrayOfStrings("tags")), json(r.getString("started")),
                instant(r.getOffsetDateTime("started_at")), r.getInteger("total_epochs"), r.getInteger("latest_epoch"),
                r.getInteger("epoch_count"), r.getInteger("step_count"), list(r.getArrayOfStrings("metric_names")),
                r.getString("cancel_reason"), r.getString("cancel_requested_by"),
                instant(r.getOffsetDateTime("cancel_requested_at")), r.getString("finish_reason"),
                r.getString("finish_requested_by"), r.getInteger("epochs_completed"),
                instant(r.getOffsetDateTime("finished_at")), r.getLong("status_position"), r.getLong("epochs_position"),
                r.getLong("steps_position"), instant(r.getOffsetDateTime("created_at")),
                instant(r.getOffsetDateTime("updated_at")));
    }

    public static EpochRow epochRow(Row r, List<String> metricNames) {
        Map<String, Double> metrics = MetricVector.unpack(metricNames, bytes(r.getBuffer("metrics")));
        return new EpochRow(r.getInteger("epoch"), r.getLong("global_step"), instant(r.getOffsetDateTime("emitted_at")),
                r.getDouble("train_loss"), r.getDouble("val_loss"), r.getDouble("train_accuracy"),
                r.getDouble("val_accuracy"), r.getDouble("learning_rate"), r.getLong("duration_ms"),
                r.getDouble("samples_per_second"), r.getDouble("grad_norm"), r.getDouble("grad_norm_max"),
                MetricVector.layers(metrics), r.getDouble("param_norm"),
                r.getInteger("clipped_steps"), r.getLong("memory_bytes"),
                MetricVector.extra(metrics));
    }

    private JsonNode json(String text) {
        if (text == null) {
            return null;
        }
        try {
            return mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored jsonb is not JSON", e);
        }
    }

    private static byte[] bytes(Buffer buffer) {
        return buffer == null ? null : buffer.getBytes();
    }

    public static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static List<String> list(String[] values) {
        return values == null ? null : List.of(values);
    }
}
