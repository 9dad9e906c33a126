-- Deleted runs (DELETE /api/v1/runs/{id} and retention). A row per deleted run, with a change position drawn
-- like every other (V30's next_change_position()):
-- the SSE change feed reads it as the run's last `status` event (`deleted`) on every replica and on Last-Event-ID
-- replay, and ingest drops late events of a deleted run (a trainer's run.finished after the cancel) instead of
-- creating the run again. Rows older than trainwatch.ingest.processed-retention are purged with processed ids.
CREATE TABLE run_deletions (
    id         text        PRIMARY KEY,
    project    text,
    position   bigint      NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX run_deletions_position ON run_deletions (position);
-- Retention looks for finished runs by age.
CREATE INDEX runs_finished_at ON runs (finished_at) WHERE finished_at IS NOT NULL;
