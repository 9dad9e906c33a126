package io.trainwatch.metrics.security;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.rest.ProblemException;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;

/**
 * What the current caller may see and do, for the checks the filter cannot make alone: projects (they need the run),
 * and MCP tools (one route, many scopes). Fails closed: without a caller in the request's context, every check
 * refuses with 401.
 */
@ApplicationScoped
public class Access {

    static final String REMOTE_KEY = "trainwatch.remote-address";

    @Inject
    RunQueries queries;

    @Inject
    Instance<CurrentVertxRequest> request;

    public Caller caller() {
        if (VertxContext.isOnDuplicatedContext()) {
            Optional<Caller> local = ContextLocals.get(Caller.KEY);
            if (local.isPresent()) {
                return local.get();
            }
        }
        try {
            RoutingContext rc = request.get().getCurrent();
            Caller c = rc == null ? null : rc.get(Caller.KEY);
            if (c != null) {
                return c;
            }
        } catch (RuntimeException noRequestScope) {
            // falls through: no request, no caller
        }
        throw new ProblemException(401, "unauthorized", "Unauthorized", "no authenticated caller for this request",
                List.of());
    }

    /** The request's remote address, for the audit log; null when unknown. */
    public String remoteAddress() {
        if (VertxContext.isOnDuplicatedContext()) {
            Optional<String> local = ContextLocals.get(REMOTE_KEY);
            if (local.isPresent()) {
                return local.get();
            }
        }
        return null;
    }

    /** 403 naming the scope unless the caller has it. */
    public void require(Scope scope) {
        Caller c = caller();
        if (!c.has(scope)) {
            throw missingScope(c, scope);
        }
    }

    /** The caller's projects, null when it may see every project (for queries that filter). */
    public List<String> projectsOrNull() {
        Caller c = caller();
        return c.allProjects() ? null : List.copyOf(c.projects());
    }

    public boolean sees(RunRow run) {
        return caller().sees(run.project());
    }

    /**
     * Completes when the caller may see the run; a run of another project answers exactly like an unknown one (404),
     * so a project-limited token learns nothing about other projects. No query for unlimited callers.
     */
    public Uni<Void> requireRun(String runId) {
        Caller c = caller();
        if (c.allProjects()) {
            return Uni.createFrom().voidItem();
        }
        return queries.run(runId).map(run -> {
            if (run.isEmpty() || !c.sees(run.get().project())) {
                throw ProblemException.runNotFound(runId);
            }
            return null;
        });
    }

    /** 403 naming the project unless the caller may use it (for writes that name their project, e.g. POST /runs). */
    public void requireProject(String project) {
        Caller c = caller();
        if (!c.sees(project)) {
            throw new ProblemException(403, "forbidden", "Forbidden", "token \"" + c.name() + "\" may not use project "
                    + (project == null ? "(none)" : "\"" + project + "\"") + "; it is limited to " + String.join(", ", c.projects()),
                    List.of(new ProblemException.FieldError("project", "not allowed for this token")));
        }
    }

    static ProblemException missingScope(Caller caller, Scope needed) {
        return new ProblemException(403, "forbidden", "Forbidden", "token \"" + caller.name() + "\" lacks the scope "
                + needed.wire() + " this request needs (it has " + String.join(", ",
                caller.scopes().stream().map(Scope::wire).toList()) + ")", List.of());
    }
}
