package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.publish.TopicPublisher;
import io.trainwatch.metrics.read.RunControlState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The answer of every HTTP ingest request: publish the (already validated) events in order, wait until the run is
 * stored (read-your-writes), then 202 with {@code run_id}, {@code accepted}, {@code ce_ids} and the run's
 * {@code control} state, so a trainer learns of a cancel from the answer to its own next post.
 */
@ApplicationScoped
public class HttpIngest {

    @Inject
    TopicPublisher publisher;

    @Inject
    RunControlState control;

    @Inject
    ObjectMapper mapper;

    /**
     * How long a request waits for Kafka to acknowledge its events before answering 503. Each send is bounded by the
     * producer (max.block.ms, delivery.timeout.ms: 5 s), but with Kafka away the sends of many requests queue behind
     * each other in the channel, each blocking on the missing metadata in turn: requests waited past 20 s.
     */
    Duration sendTimeout;

    @Inject
    void configure(MetricsConfig config) {
        sendTimeout = config.ingest().sendTimeout();
    }

    public Uni<Response> accept(String runId, List<? extends PostedEvent<? extends TrainwatchEvent>> events, URI location) {
        List<Uni<String>> sends = new ArrayList<>(events.size());
        for (PostedEvent<? extends TrainwatchEvent> e : events) {
            sends.add(publisher.publish(e.event(), e.eventId()));
        }
        // Uni.join subscribes in list order, so the records are handed to the producer in the order given.
        return Uni.join().all(sends).andFailFast()
                .ifNoItem().after(sendTimeout).failWith(() -> new TimeoutException(
                        "Kafka did not acknowledge the request's events within " + sendTimeout))
                .chain(ceIds -> control.awaitStored(runId).map(run -> {
                    ObjectNode n = mapper.createObjectNode();
                    n.put("run_id", runId);
                    n.put("accepted", ceIds.size());
                    ArrayNode ids = n.putArray("ce_ids");
                    ceIds.forEach(ids::add);
                    n.set("control", control.view(run));
                    Response.ResponseBuilder answer = Response.accepted(n);
                    return (location == null ? answer : answer.location(location)).build();
                }));
    }
}
