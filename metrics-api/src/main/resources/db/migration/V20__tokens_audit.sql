-- Bearer tokens and the audit log (docs/operations.md "Security").
--
-- A token's secret is never stored: only its SHA-256 (hex). Secrets are 256 random bits, so a fast hash is enough:
-- a slow password hash protects guessable secrets, and a 256-bit random one cannot be guessed.

CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL,
    secret_hash  text        NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    -- comma-separated subset of read,ingest,control,admin
    scopes       text        NOT NULL,
    -- comma-separated project names; NULL: every project
    projects     text,
    -- api (POST /api/v1/tokens), bootstrap (first start), config (trainwatch.auth.tokens)
    source       text        NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'bootstrap', 'config')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);

-- A name identifies one live token (the audit's principal); a revoked token's name may be reused.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    principal      text        NOT NULL,
    remote_address text,
    -- e.g. run.cancel, token.create, token.revoke
    action         text        NOT NULL,
    outcome        text        NOT NULL CHECK (outcome IN ('allowed', 'refused')),
    run_id         text,
    detail         text
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
