-- Change positions without a global lock.
--
-- Until now every writing transaction took one advisory lock before drawing positions from the change_position
-- sequence, so that positions became visible in commit order. With N replicas that made every write wait for the
-- one before it. Positions are now drawn from the writing transaction's own id (xid8, 64 bit, never wraps):
--
--     position = xid << 20 | ordinal        (ordinal: 1, 2, 3 … within the transaction, at most 2^20 - 1)
--
-- A transaction's positions therefore all lie at or above xid << 20. A reader asks PostgreSQL for the oldest
-- transaction still running (pg_snapshot_xmin of its snapshot, see change_horizon()): every transaction with a
-- smaller id has ended, and every transaction still running or yet to start has an id at least that large. So every
-- position below the horizon belongs to a committed (or rolled-back) transaction and no write can still land there:
-- "everything up to P" stays a complete, gap-free prefix for every P below the horizon, without any lock. See
-- docs/architecture.md "Change positions".

-- Positions drawn by the old sequence must stay below the new ones (a Last-Event-ID taken before this migration
-- resumes correctly). It holds unless a database averaged more than 2^20 changes per transaction.
DO $$
BEGIN
    IF (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_position)
            >= (pg_current_xact_id()::text::bigint << 20) THEN
        RAISE EXCEPTION 'change_position is ahead of the transaction-id positions; cannot migrate';
    END IF;
END $$;

DROP SEQUENCE change_position;

-- Reserves n positions in the current transaction and returns the first; the rest follow it (first + 1 …).
-- The ordinal count lives in a transaction-local setting: it starts again at 0 in every transaction, and a rolled-
-- back savepoint rolls it back together with the rows that used it.
CREATE FUNCTION change_positions(n integer) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    used integer := coalesce(nullif(current_setting('trainwatch.positions_used', true), ''), '0')::integer;
BEGIN
    IF n < 1 OR used + n > 1048575 THEN
        RAISE EXCEPTION 'change_positions: n must be 1 .. % in one transaction, was %', 1048575 - used, n;
    END IF;
    PERFORM set_config('trainwatch.positions_used', (used + n)::text, true);
    RETURN (pg_current_xact_id()::text::bigint << 20) + used + 1;
END $$;

-- The next position of the current transaction: what every writing statement uses for a changed row.
CREATE FUNCTION next_change_position() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT change_positions(1) $$;

-- The highest position that no running or future transaction can write: every change at or below it is committed
-- (or was rolled back). Readers serve changes up to it and never past it.
CREATE FUNCTION change_horizon() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20) - 1
$$;
