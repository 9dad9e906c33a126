package io.trainwatch.metrics.read;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.store.HistoryWriter;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.store.RunRow;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders history reads (epochs, steps) with their strong ETag. The ETag is derived from the run, the position of
 * the run's last history change and the normalised query, so a poller that already has the answer gets 304 without
 * the history being read — and, with the run's positions held in {@link RunHeads}, without the database at all.
 * Rendered bodies are kept in a small LRU keyed by ETag: many pollers of one run cost one rendering per change.
 */
@ApplicationScoped
public class HistoryResponses {

    public static final String CSV = "text/csv";
    private static final int CACHE_ENTRIES = 512;

    @Inject
    ObjectMapper mapper;

    @Inject
    RunHeads heads;

    @Inject
    RunQueries queries;

    private final Map<String, byte[]> rendered = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(CACHE_ENTRIES, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                    return size() > CACHE_ENTRIES;
                }
            });

    /**
     * A conditional history read, the same for epochs ({@code kind} "epochs") and steps ("steps"): {@code 304} when
     * {@code If-None-Match} names the current ETag, the cached body when there is one — both from this replica's
     * {@link RunHeads} view, with no database I/O — else the run and its rows read in one snapshot, so that the ETag
     * sent always names exactly the body sent.
     */
    public <R extends HistoryRow> Uni<Response> conditional(String kind, String runId, String keyName, HistoryQuery query,
                                                            String ifNoneMatch, RowsReader<R> rows) {
        return heads.current(runId).chain(head -> {
            if (head != null) {
                String etag = etag(kind, head.runKey(), position(kind, head.epochsPosition(), head.stepsPosition()), query);
                Response known = fromMemory(etag, ifNoneMatch, query);
                if (known != null) {
                    return Uni.createFrom().item(known);
                }
            }
            // Observed before the snapshot starts: the snapshot sees every commit notified up to here.
            long validThrough = heads.notifiedPosition();
            // Pollers of a run ask the same question right after each new epoch: one snapshot read answers all who
            // ask while it runs — but only those it is current for (it started after what they have been told of).
            String key = kind + '|' + runId + '|' + query.canonical();
            Flight flight = flights.compute(key, (k, running) -> running != null && running.validThrough() >= validThrough
                    ? running : new Flight(validThrough, new java.util.concurrent.atomic.AtomicReference<>()));
            Uni<Rendered> answer = flight.result().updateAndGet(u -> u != null ? u
                    : snapshot(kind, runId, keyName, query, rows, validThrough)
                            .eventually(() -> flights.remove(key, flight))
                            .memoize().indefinitely());
            return answer.map(r -> matches(ifNoneMatch, r.etag()) ? notModified(r.etag()) : ok(r.etag(), r.body(), query));
        });
    }

    /** The run and its rows in one snapshot, rendered (or the cached body of the snapshot's ETag). */
    private <R extends HistoryRow> Uni<Rendered> snapshot(String kind, String runId, String keyName, HistoryQuery query,
                                                        RowsReader<R> rows, long validThrough) {
        return queries.inSnapshot(conn -> queries.run(conn, runId).chain(found -> {
            RunRow run = found.orElseThrow(() -> ProblemException.runNotFound(runId));
            heads.observed(run, validThrough);
            String etag = etag(kind, run.runKey(), position(kind, run.epochsPosition(), run.stepsPosition()), query);
            byte[] body = cached(etag);
            if (body != null) {
                return Uni.createFrom().item(new Rendered(etag, body));
            }
            return rows.read(conn, run, query.since()).map(list -> new Rendered(etag, renderCached(etag, run.id(),
                    keyName, kind, list, query)));
        }));
    }

    private record Rendered(String etag, byte[] body) {
    }

    /** A snapshot read in progress, and the notified position it is current for. */
    private record Flight(long validThrough, java.util.concurrent.atomic.AtomicReference<Uni<Rendered>> result) {
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Flight> flights = new java.util.concurrent.ConcurrentHashMap<>();

    /** Reads a run's history rows (after {@code since}) through the given client. */
    @FunctionalInterface
    public interface RowsReader<R extends HistoryRow> {
        Uni<List<R>> read(SqlClient client, RunRow run, Long since);
    }

    private static long position(String kind, long epochsPosition, long stepsPosition) {
        return "steps".equals(kind) ? stepsPosition : epochsPosition;
    }

    /** 304 or the cached body for this ETag; null when the body must be rendered. */
    private Response fromMemory(String etag, String ifNoneMatch, HistoryQuery query) {
        if (matches(ifNoneMatch, etag)) {
            return notModified(etag);
        }
        byte[] body = cached(etag);
        return body == null ? null : ok(etag, body, query);
    }

    /** The strong ETag (unquoted value) of a history read. */
    public static String etag(String kind, int runKey, long changePosition, HistoryQuery query) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] digest = md.digest((kind + '|' + runKey + '|' + changePosition + '|' + query.canonical())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code If-None-Match} names this ETag (or is {@code *}). */
    public static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || ifNoneMatch.isBlank()) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || c.equals('"' + etag + '"')) {
                return true;
            }
        }
        return false;
    }

    public Response notModified(String etag) {
        return Response.notModified(new EntityTag(etag)).build();
    }

    public byte[] cached(String etag) {
        return rendered.get(etag);
    }

    /** Renders rows (already filtered by {@code since}) per the query, once per ETag. */
    private <R extends HistoryRow> byte[] renderCached(String etag, String runId, String keyName, String rowsName,
                                                      List<R> rows, HistoryQuery query) {
        byte[] body = rendered.get(etag);
        if (body == null) {
            body = renderBody(runId, keyName, rowsName, rows, query);
            rendered.put(etag, body);
        }
        return body;
    }

    public Response ok(String etag, byte[] body, HistoryQuery query) {
        return Response.ok(body)
                .type(query.format() == HistoryQuery.Format.CSV ? CSV + "; charset=utf-8" : "application/json")
                .tag(new EntityTag(etag))
                .header("Cache-Control", "no-cache")
                .build();
    }

    <R extends HistoryRow> byte[] renderBody(String runId, String keyName, String rowsName, List<R> rows, HistoryQuery query) {
        List<R> selected = rows;
        boolean downsampled = false;
        if (query.maxPoints() != null && rows.size() > query.maxPoints()) {
            selected = Downsampler.downsample(rows, query.fields(), query.maxPoints());
            downsampled = true;
        }
        return query.format() == HistoryQuery.Format.CSV
                ? HistoryWriter.csv(keyName, selected, query.fields())
                : HistoryWriter.json(mapper, runId, keyName, rowsName, selected, query.fields(), downsampled);
    }
}
