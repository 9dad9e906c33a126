package io.trainwatch.metrics.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The one notification every writing transaction ends with: {@code pg_notify} on {@link #CHANNEL} carrying the last
 * change position it wrote, which SSE feeds and run heads listen to (see docs/architecture.md "Change positions").
 */
public final class ChangeNotice {

    public static final String CHANNEL = "trainwatch_changes";

    private ChangeNotice() {
    }

    /** Sends the notification inside {@code conn}'s transaction: PostgreSQL delivers it on commit. */
    public static Uni<Void> send(SqlConnection conn, long position) {
        return conn.preparedQuery("SELECT pg_notify('" + CHANNEL + "', $1)")
                .execute(Tuple.of(Long.toString(position))).replaceWithVoid();
    }

    /** The highest position (first column) a statement returned, batched or not; 0 for none. */
    public static long maxPosition(RowSet<Row> rows) {
        long max = 0;
        for (RowSet<Row> rs = rows; rs != null; rs = rs.next()) {
            for (Row r : rs) {
                max = Math.max(max, r.getLong(0));
            }
        }
        return max;
    }
}
