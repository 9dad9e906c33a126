package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.metrics.history.Downsampler;
import io.trainwatch.metrics.history.HistoryQuery;
import io.trainwatch.metrics.history.HistoryRow;
import io.trainwatch.metrics.history.HistoryWriter;
import io.smallrye.mutiny.Uni;
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
import java.util.function.Supplier;

/**
 * Renders history reads (epochs, steps) with their strong ETag. The ETag is derived from the run, the position of
 * the run's last history change and the normalised query, so a poller that already has the answer gets 304 without
 * the history being read. Rendered bodies are kept in a small LRU keyed by ETag: many pollers of one run cost one
 * rendering per change.
 */
@ApplicationScoped
public class HistoryResponses {

    public static final String CSV = "text/csv";
    private static final int CACHE_ENTRIES = 512;

    @Inject
    ObjectMapper mapper;

    private final Map<String, byte[]> rendered = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(CACHE_ENTRIES, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                    return size() > CACHE_ENTRIES;
                }
            });

    /**
     * A conditional history read, the same for epochs and steps: {@code 304} when {@code If-None-Match} names the
     * current ETag, the cached body when there is one, else the rows read, rendered and cached.
     *
     * @param position the position of the run's last change of this history (part of the ETag)
     */
    public <R extends HistoryRow> Uni<Response> conditional(String kind, int runKey, long position, String runId,
                                                            String keyName, HistoryQuery query, String ifNoneMatch,
                                                            Supplier<Uni<List<R>>> rows) {
        String etag = etag(kind, runKey, position, query);
        if (matches(ifNoneMatch, etag)) {
            return Uni.createFrom().item(notModified(etag));
        }
        byte[] body = cached(etag);
        if (body != null) {
            return Uni.createFrom().item(ok(etag, body, query));
        }
        return rows.get().map(list -> render(etag, runId, keyName, kind, list, query));
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

    /** Renders rows (already filtered by {@code since}) per the query, caches and answers 200 with the ETag. */
    public <R extends HistoryRow> Response render(String etag, String runId, String keyName, String rowsName, List<R> rows,
                                                  HistoryQuery query) {
        byte[] body = rendered.get(etag);
        if (body == null) {
            body = renderBody(runId, keyName, rowsName, rows, query);
            rendered.put(etag, body);
        }
        return ok(etag, body, query);
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
