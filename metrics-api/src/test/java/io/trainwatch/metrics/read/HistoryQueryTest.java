package io.trainwatch.metrics.read;

import io.trainwatch.metrics.store.HistoryWriter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HistoryQueryTest {

    @Test
    void parsesAndNormalises() {
        HistoryQuery q = HistoryQuery.parse("since_epoch", "7", "val_loss, train_loss,val_loss", "50", "CSV", EpochRow.FIELDS);
        assertEquals(7L, q.since());
        assertEquals(List.of("val_loss", "train_loss"), q.fields());
        assertEquals(50, q.maxPoints());
        assertEquals(HistoryQuery.Format.CSV, q.format());
        assertEquals(EpochRow.FIELDS, HistoryQuery.parse("since_epoch", null, null, null, null, EpochRow.FIELDS).fields());
        assertNotEquals(q.canonical(), HistoryQuery.parse("since_epoch", "8", "val_loss,train_loss", "50", "csv",
                EpochRow.FIELDS).canonical());
    }

    @Test
    void errorsNameTheParameterAndTheRule() {
        QueryParameterException e = assertThrows(QueryParameterException.class,
                () -> HistoryQuery.parse("since_epoch", "x", null, null, null, EpochRow.FIELDS));
        assertEquals("since_epoch", e.parameter());
        assertEquals("max_points", assertThrows(QueryParameterException.class,
                () -> HistoryQuery.parse("since_epoch", null, null, "1", null, EpochRow.FIELDS)).parameter());
        assertEquals("fields", assertThrows(QueryParameterException.class,
                () -> HistoryQuery.parse("since_epoch", null, "loss", null, null, EpochRow.FIELDS)).parameter());
        assertEquals("format", assertThrows(QueryParameterException.class,
                () -> HistoryQuery.parse("since_epoch", null, null, null, "xml", EpochRow.FIELDS)).parameter());
    }

    @Test
    void csvFlattensMapsAndKeepsNonFiniteNumbers() {
        EpochRow row = new EpochRow(3, null, null, Double.NaN, 0.5, null, null, null, null, null, null, null,
                java.util.Map.of("a,b", 1.0), null, null, null, null);
        String csv = new String(HistoryWriter.csv("epoch", List.of(row), List.of("train_loss", "layer_grad_norms")),
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("epoch,train_loss,\"layer_grad_norms.a,b\"\r\n3,NaN,1.0\r\n", csv);
    }
}
