-- A cancel no trainer confirmed within trainwatch.cancel.confirm-timeout: the run shows `cancel_unconfirmed` (the
-- cancel stays pending; a later run.finished still ends the run). Versioned 2.14 so that it sorts after a V2 that
-- another change may add.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'cancelling', 'cancel_unconfirmed', 'completed', 'failed', 'cancelled',
                      'stopped_early'));
CREATE INDEX runs_cancelling ON runs (cancel_requested_at) WHERE status = 'cancelling';
