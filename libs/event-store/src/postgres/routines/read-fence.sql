-- The read fence (issue 16): how far readers of the log may go without skipping an event that commits later with a
-- smaller (transaction_id, global_position). Only appending transactions can do that, so only they hold readers back:
-- not a read model's apply, a sealer batch or a segment evaluation, which the cluster-wide pg_snapshot_xmin counted.
--
-- The contract: every transaction that appends takes the shared appender lock (begin_append) before it has a
-- transaction id, so an appender with an id always holds the lock until it ends. read_fence, run in a statement
-- BEFORE the reading one, returns the least transaction id that may still append: the smallest id of a transaction
-- of this database holding the lock, or the first id not yet handed out. A transaction below the fence that appended
-- had released the lock, so it had ended before the fence was taken, and the reading statement's later snapshot
-- sees it. (Read in the same statement, an appender could commit between the snapshot and the lock scan.)

-- The appender lock: two int4 keys (pg_locks.objsubid = 2) that nothing else in the engine uses, 'ESAP' and 0.
CREATE OR REPLACE FUNCTION event_store.begin_append() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('event_store.appending', true) = 'on' THEN
    RETURN;
  END IF;
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'an append must come before anything else its transaction writes (readers of the log only wait for appenders that hold the appender lock before they have a transaction id)'
      USING ERRCODE = 'ES003';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(1163084112, 0);
  PERFORM set_config('event_store.appending', 'on', true);
END
$fn$;

-- A running transaction's 32-bit id is widened to the xid8 nearest the snapshot's xmax with the same low 32 bits: a
-- running transaction is less than 2^31 ids from it, either side (one that drew its id after the snapshot is above).
CREATE OR REPLACE FUNCTION event_store.read_fence() RETURNS xid8
LANGUAGE sql VOLATILE AS $fn$
  WITH horizon AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax)
  SELECT least(h.xmax, min(h.xmax + (((a.backend_xid::text::bigint - h.xmax) + 2147483648) & 4294967295) - 2147483648))::text::xid8
    FROM horizon h
    LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.classid = 1163084112 AND l.objid = 0 AND l.objsubid = 2 AND l.pid IS NOT NULL
                        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    LEFT JOIN pg_stat_activity a ON a.pid = l.pid AND a.backend_xid IS NOT NULL
   GROUP BY h.xmax
$fn$;

-- The log after a checkpoint, behind the fence. In READ COMMITTED the fence and the read are two statements, the
-- read's snapshot taken after the fence; under a transaction snapshot (REPEATABLE READ) the read sees what the
-- transaction's first statement saw, so the fence is that snapshot's xmin, which is safe for any snapshot.
CREATE OR REPLACE FUNCTION event_store.read_after(p_transaction_id xid8, p_position bigint, p_limit int) RETURNS SETOF event_store.events
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_fence xid8;
BEGIN
  IF current_setting('transaction_isolation') = 'read committed' THEN
    v_fence := event_store.read_fence();
  ELSE
    v_fence := pg_snapshot_xmin(pg_current_snapshot());
  END IF;
  RETURN QUERY
    SELECT * FROM event_store.events e
     WHERE (e.transaction_id, e.global_position) > (p_transaction_id, p_position)
       AND e.transaction_id < v_fence
     ORDER BY e.transaction_id, e.global_position
     LIMIT p_limit;
END
$fn$;
