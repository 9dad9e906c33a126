package io.trainwatch.metrics.security;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;

/** The audit log: every cancel, token change and refused control attempt, with the token's name as principal. */
@ApplicationScoped
public class AuditLog {

    public static final String ALLOWED = "allowed";
    public static final String REFUSED = "refused";

    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    @Inject
    Vertx vertx;

    public Uni<Void> record(String principal, String remoteAddress, String action, String outcome, String runId,
                            String detail) {
        AuditEntry e = new AuditEntry();
        e.at = Instant.now();
        e.principal = principal;
        e.remoteAddress = remoteAddress;
        e.action = action;
        e.outcome = outcome;
        e.runId = runId;
        e.detail = detail == null || detail.length() <= 500 ? detail : detail.substring(0, 500);
        return SafeContext.call(vertx, () -> Panache.withTransaction(e::persist)).replaceWithVoid();
    }

    /** Records without making the caller wait (refusals are answered at once); a failure is logged. */
    public void recordLater(String principal, String remoteAddress, String action, String runId, String detail) {
        record(principal, remoteAddress, action, REFUSED, runId, detail).subscribe().with(
                ok -> { },
                f -> LOG.warnf("cannot write the audit entry for %s by %s: %s", action, principal, f.toString()));
    }

    /** Newest first, optionally one run's. */
    public Uni<List<AuditEntry>> recent(String runId, int limit) {
        return SafeContext.call(vertx, () -> Panache.withSession(() -> (runId == null
                ? AuditEntry.<AuditEntry>find("order by id desc")
                : AuditEntry.<AuditEntry>find("runId = ?1 order by id desc", runId)).page(0, limit).list()));
    }
}
