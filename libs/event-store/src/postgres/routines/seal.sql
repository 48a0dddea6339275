-- The global chain (issue 14), sealed after commit. Appends link each event into its stream's chain only
-- (append.sql); the sealer then links committed events, in the commit-safe order every reader uses,
-- (transaction_id, global_position) behind the pg_snapshot_xmin fence, into one chain over the whole log:
--   seal hash of the n-th event = sha256(seal hash of the (n-1)-th || stream_hash of the n-th), the first from ''.
-- The stream hash covers the event's content, its positions and recorded_at, and its stream's chain before it, so
-- the seal commits to all of them. Seal rows (event_store.seals) are only ever inserted; event_store.seal_head is the
-- checkpoint. The tables are DDL (event-store.migrations.ts, migration 3).
CREATE OR REPLACE FUNCTION event_store.seal_link(p_previous bytea, p_stream_hash bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sha256(p_previous || coalesce(p_stream_hash, ''::bytea));

-- One batch: at most p_limit events, their seal rows and the checkpoint in this one transaction, so a crash
-- anywhere leaves either the whole batch or none of it. One sealer at a time, however many processes call this:
-- the others find the advisory lock taken and return at once (busy). Behind the fence every transaction older than
-- the oldest running one has ended, so no event can commit later with a smaller (transaction_id, global_position)
-- than one sealed here.
CREATE OR REPLACE FUNCTION event_store.seal(p_limit int, OUT sealed int, OUT busy boolean, OUT seq bigint, OUT last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_head event_store.seal_head%ROWTYPE;
BEGIN
  sealed := 0;
  IF NOT pg_try_advisory_xact_lock(hashtextextended('event_store.seal', 0)) THEN
    busy := true;
    RETURN;
  END IF;
  busy := false;
  SELECT * INTO v_head FROM event_store.seal_head;
  WITH next AS MATERIALIZED (
    SELECT e.transaction_id, e.global_position, e.stream_hash
      FROM event_store.events e
     WHERE (e.transaction_id, e.global_position) > (v_head.transaction_id, v_head.global_position)
       AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY e.transaction_id, e.global_position
     LIMIT p_limit
  ), linked AS MATERIALIZED (
    SELECT n.transaction_id, n.global_position, v_head.seq + row_number() OVER w AS seq,
           event_store.chain(v_head.hash, ''::bytea, coalesce(n.stream_hash, ''::bytea)) OVER w AS hash
      FROM next n WINDOW w AS (ORDER BY n.transaction_id, n.global_position ROWS UNBOUNDED PRECEDING)
  ), inserted AS (
    INSERT INTO event_store.seals (seq, global_position, hash) SELECT l.seq, l.global_position, l.hash FROM linked l
  ), moved AS (
    UPDATE event_store.seal_head h
       SET seq = l.seq, transaction_id = l.transaction_id, global_position = l.global_position, hash = l.hash, sealed_at = clock_timestamp()
      FROM (SELECT * FROM linked ORDER BY linked.seq DESC LIMIT 1) l
    RETURNING h.seq, h.global_position
  )
  SELECT (SELECT count(*) FROM linked)::int, m.seq, m.global_position INTO sealed, seq, last_position
    FROM (SELECT 1) one LEFT JOIN moved m ON true;
  IF seq IS NULL THEN
    seq := v_head.seq;
    last_position := v_head.global_position;
  END IF;
END
$fn$;
