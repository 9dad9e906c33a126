package io.trainwatch.trainer.messaging;

import java.util.Map;

/**
 * One event as the spool keeps it and Kafka receives it: the CloudEvents headers (with the {@code ce_id} fixed once,
 * so a resend after a crash is recognisable), the record key (the run id) and the EventCodec JSON.
 */
public record SpooledEvent(Map<String, String> headers, String key, byte[] data) {

    public SpooledEvent {
        headers = Map.copyOf(headers);
    }

    public String ceId() {
        return headers.get(io.trainwatch.contracts.CloudEvents.H_ID);
    }

    public String ceType() {
        return headers.get(io.trainwatch.contracts.CloudEvents.H_TYPE);
    }
}
