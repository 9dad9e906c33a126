-- Two lifecycle statuses that are not the trainer's word but the API's observation (issue 14):
-- `cancel_unconfirmed`: a cancel no trainer confirmed within trainwatch.cancel.confirm-timeout (the cancel stays
-- pending; a later run.finished still ends the run);
-- `stalled`: a running run silent for longer than its own pace allows (trainwatch.liveness.*); back to `running` when
-- an epoch or step arrives.
-- Versioned 2.14 so that it sorts after a V2 that another change may add.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'stalled', 'cancelling', 'cancel_unconfirmed', 'completed', 'failed',
                      'cancelled', 'stopped_early'));
CREATE INDEX runs_cancelling ON runs (cancel_requested_at) WHERE status = 'cancelling';
CREATE INDEX runs_running ON runs (updated_at) WHERE status = 'running';
