-- Trainwatch metrics-api schema, version 1.
--
-- Sizing: an epoch row must stay small (budget: 25 KB per 100 epochs, table + indexes), so
--  * epoch rows reference their run by a 4-byte run_key, not by the (up to 128 character) run id;
--  * standard metrics are typed float8 columns (float8 keeps NaN and +-Infinity; absent values are NULL, which costs
--    one bit);
--  * per-layer gradient norms and user metrics are packed together as float8 values (one bytea, 8 bytes each, a
--    1-byte header) whose qualified names ("layer_grad_norms.fc1.weight", "extra.f1") are stored once per run in
--    runs.metric_names; one column rather than two, so a typical row has no NULL and so no null bitmap;
--  * epoch rows carry no ce_id: a redelivered event upserts the same values, and the upsert skips rows whose values
--    did not change, so it neither writes nor notifies (see docs/api.md "Design notes").
--
-- Every stored change gets a position from change_position. Ingest transactions take an advisory lock before they
-- draw positions, so positions become visible in commit order: a reader that has seen position P has seen every
-- change <= P. SSE ids and replay rest on that.

CREATE SEQUENCE change_position AS bigint;

CREATE TABLE runs (
    run_key             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  text        NOT NULL UNIQUE,
    status              text        NOT NULL DEFAULT 'running'
        CHECK (status IN ('queued', 'running', 'cancelling', 'completed', 'failed', 'cancelled', 'stopped_early')),
    name                text,
    project             text,
    tags                text[],
    -- model, hyperparameters, dataset, device, host, monitor: read whole, rarely, so one jsonb document.
    started             jsonb,
    started_at          timestamptz,
    total_epochs        integer,
    latest_epoch        integer,
    epoch_count         integer     NOT NULL DEFAULT 0,
    step_count          integer     NOT NULL DEFAULT 0,
    metric_names        text[]      NOT NULL DEFAULT '{}',
    cancel_reason       text,
    cancel_requested_by text,
    cancel_requested_at timestamptz,
    finish_reason       text,
    finish_requested_by text,
    epochs_completed    integer,
    finished_at         timestamptz,
    -- Positions of the last change of each kind: SSE replay of status, and strong ETags without reading history.
    status_position     bigint      NOT NULL,
    epochs_position     bigint      NOT NULL DEFAULT 0,
    steps_position      bigint      NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX runs_status_position ON runs (status_position);

CREATE TABLE epoch_metrics (
    -- 8-byte columns first, then 4-byte, then variable: no alignment padding.
    position           bigint  NOT NULL,
    global_step        bigint,
    emitted_at         timestamptz,
    train_loss         float8,
    val_loss           float8,
    train_accuracy     float8,
    val_accuracy       float8,
    learning_rate      float8,
    samples_per_second float8,
    grad_norm          float8,
    grad_norm_max      float8,
    param_norm         float8,
    duration_ms        bigint,
    memory_bytes       bigint,
    run_key            integer NOT NULL,
    epoch              integer NOT NULL,
    clipped_steps      integer,
    metrics            bytea,
    -- Keys arrive in ascending order per run: full leaf pages cost nothing in split behaviour and save 10 %.
    CONSTRAINT epoch_metrics_pkey PRIMARY KEY (run_key, epoch) WITH (fillfactor = 100)
);

-- Positions grow with insertion order, so a BRIN index finds "changes after P" for a few bytes per thousand rows.
CREATE INDEX epoch_metrics_position ON epoch_metrics USING brin (position);

CREATE TABLE step_samples (
    global_step   bigint  NOT NULL,
    emitted_at    timestamptz,
    loss          float8,
    learning_rate float8,
    grad_norm     float8,
    run_key       integer NOT NULL,
    epoch         integer,
    PRIMARY KEY (run_key, global_step)
);

-- ce_id of run-level events (run.started, run.finished) already applied; epochs and steps are idempotent by key.
-- Rows older than the retention (trainwatch.ingest.processed-retention) are purged.
CREATE TABLE processed_events (
    ce_id        text        PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- The latest verdict of each run (analysis.updated), whole.
CREATE TABLE run_analysis (
    run_key    integer     PRIMARY KEY,
    epoch      integer     NOT NULL,
    position   bigint      NOT NULL,
    verdict    jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX run_analysis_position ON run_analysis (position);

CREATE TABLE alerts (
    run_key        integer NOT NULL,
    alert_id       text    NOT NULL,
    kind           text    NOT NULL,
    severity       text    NOT NULL,
    opened_epoch   integer,
    resolved_epoch integer,
    message        text,
    position       bigint  NOT NULL,
    PRIMARY KEY (run_key, alert_id)
);

CREATE INDEX alerts_position ON alerts (position);
