package io.trainwatch.metrics.live;

/**
 * One stored change, ready for SSE: its global position, the run it belongs to, its SSE type
 * ({@code epoch}, {@code status}, {@code analysis}, {@code alert}) and its JSON data. {@code runEnded}: the run was
 * deleted (a {@code status} event with status {@code deleted}); a stream of that run ends after it.
 */
public record FeedEvent(long position, String runId, String project, String type, String data, boolean runEnded) {

    public FeedEvent(long position, String runId, String project, String type, String data) {
        this(position, runId, project, type, data, false);
    }

    /** The SSE id on a per-run stream: run id and position, separated by '/', which run ids never contain. */
    public String runStreamId() {
        return runId + "/" + position;
    }

    /** Parses a Last-Event-ID of either stream ({@code <run>/<position>} or {@code <position>}); null when absent. */
    public static Long positionOf(String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return null;
        }
        String s = lastEventId.trim();
        int slash = s.lastIndexOf('/');
        try {
            long p = Long.parseLong(slash >= 0 ? s.substring(slash + 1) : s);
            return p < 0 ? null : p;
        } catch (NumberFormatException e) {
            throw new io.trainwatch.metrics.read.QueryParameterException("Last-Event-ID",
                    "must be an id received from this stream (<run id>/<position> or <position>), was \"" + s + "\"");
        }
    }
}
