-- The append functions: one round trip, one transaction per append. The per-stream advisory lock is taken before the
-- transaction writes anything, so it has no transaction id yet: ids are then drawn in lock order and the commit-safe
-- read order (transaction_id, global_position) keeps each stream in stream order. The expected version is checked
-- before a global position is drawn, so a loser burns none. No lock is shared by appends to different streams: the
-- stream's own chain is linked here, under the stream's lock; the global chain is sealed after commit (seal.sql).
-- Shaped by measurement (bench/RESULTS.md): the duplicate check is a LATERAL ... LIMIT 1 index probe, because a join
-- was planned once per connection while the log was empty and then scanned the whole table on every append.
-- Single-event appends (almost every command) take plain parameters.

-- Single events (almost every command). An idempotent retry is answered before anything is written. The position is
-- drawn here because the stream link covers it, hence OVERRIDING SYSTEM VALUE.
CREATE OR REPLACE FUNCTION event_store.append_event(
  p_stream text, p_expected text, p_event_id uuid, p_type text, p_schema_version int, p_data jsonb, p_metadata jsonb,
  p_occurred_at timestamptz, OUT stream_version bigint, OUT last_position bigint, OUT written boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_stream   text;
  v_type     text;
  v_data     jsonb;
  v_occurred timestamptz;
  v_current  bigint;
  v_tail     bytea;
  v_recorded timestamptz;
  v_digest   bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

  SELECT e.stream_id, e.type, e.data, e.occurred_at, e.stream_position, e.global_position
    INTO v_stream, v_type, v_data, v_occurred, stream_version, last_position
    FROM event_store.events e WHERE e.event_id = p_event_id;
  IF FOUND THEN
    IF v_stream = p_stream AND v_type = p_type AND v_data = p_data AND v_occurred = p_occurred_at THEN
      written := false;
      RETURN;
    END IF;
    RAISE EXCEPTION 'event id % is already stored with other content', p_event_id
      USING ERRCODE = 'ES002', DETAIL = p_event_id::text;
  END IF;

  SELECT e.stream_position, e.stream_hash INTO v_current, v_tail
    FROM event_store.events e WHERE e.stream_id = p_stream ORDER BY e.stream_position DESC LIMIT 1;
  v_current := coalesce(v_current, 0);
  IF NOT (CASE WHEN p_expected = 'no_stream' THEN v_current = 0
               WHEN p_expected = 'stream_exists' THEN v_current > 0
               WHEN p_expected ~ '^[0-9]+$' THEN v_current = p_expected::bigint
               ELSE p_expected = 'any' END) THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'ES001', DETAIL = v_current::text;
  END IF;

  stream_version := v_current + 1;
  last_position := nextval('event_store.events_global_position_seq');
  v_recorded := clock_timestamp();
  v_digest := event_store.event_digest(p_stream, stream_version, p_event_id, p_type, p_schema_version, p_data, p_metadata, p_occurred_at);
  INSERT INTO event_store.events (global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
                                  occurred_at, recorded_at, stream_hash)
  OVERRIDING SYSTEM VALUE
  VALUES (last_position, p_stream, stream_version, p_event_id, p_type, p_schema_version, p_data, p_metadata,
          p_occurred_at, v_recorded, event_store.event_link(coalesce(v_tail, ''::bytea), last_position, v_recorded, v_digest));
  written := true;
END
$fn$;

-- Several events of one stream: the same order of locks and checks as append_event.
CREATE OR REPLACE FUNCTION event_store.append_events(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (stream_version bigint, last_position bigint, written boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    int := jsonb_array_length(p_events);
  v_existing int;
  v_same     boolean;
  v_conflict text;
  v_current  bigint;
  v_tail     bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

  -- Same content: same stream, type, data and occurredAt (metadata such as the causation may differ on a retry).
  SELECT count(*), coalesce(bool_and(e.stream_id = p_stream AND e.type = n.type AND e.data = n.data AND e.occurred_at = n."occurredAt"), true),
         min(n."eventId"::text) FILTER (WHERE NOT (e.stream_id = p_stream AND e.type = n.type AND e.data = n.data AND e.occurred_at = n."occurredAt"))
    INTO v_existing, v_same, v_conflict
    FROM jsonb_to_recordset(p_events) AS n("eventId" uuid, type text, data jsonb, "occurredAt" timestamptz)
    CROSS JOIN LATERAL (SELECT s.stream_id, s.type, s.data, s.occurred_at FROM event_store.events s WHERE s.event_id = n."eventId" LIMIT 1) e;
  IF v_existing > 0 THEN
    IF v_existing = v_count AND v_same THEN
      RETURN QUERY
        SELECT max(e.stream_position), max(e.global_position), false
          FROM jsonb_to_recordset(p_events) AS n("eventId" uuid)
          CROSS JOIN LATERAL (SELECT s.stream_position, s.global_position FROM event_store.events s WHERE s.event_id = n."eventId" LIMIT 1) e;
      RETURN;
    END IF;
    RAISE EXCEPTION 'event id % is already stored with other content', coalesce(v_conflict, '(partial retry)')
      USING ERRCODE = 'ES002', DETAIL = coalesce(v_conflict, '');
  END IF;

  SELECT e.stream_position, e.stream_hash INTO v_current, v_tail
    FROM event_store.events e WHERE e.stream_id = p_stream ORDER BY e.stream_position DESC LIMIT 1;
  v_current := coalesce(v_current, 0);
  IF (p_expected = 'no_stream' AND v_current <> 0)
     OR (p_expected = 'stream_exists' AND v_current = 0)
     OR (p_expected ~ '^[0-9]+$' AND v_current <> p_expected::bigint)
     OR p_expected !~ '^([0-9]+|any|no_stream|stream_exists)$' THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'ES001', DETAIL = v_current::text;
  END IF;

  -- nextval in the select list of an ORDER BY query is evaluated after the sort: positions in event order.
  RETURN QUERY
    WITH drawn AS MATERIALIZED (
      SELECT x.ord, x.e, nextval('event_store.events_global_position_seq') AS global_position, clock_timestamp() AS recorded_at
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, ord)
       ORDER BY x.ord
    ), typed AS (
      SELECT d.global_position, d.recorded_at, v_current + d.ord AS stream_position, (d.e->>'eventId')::uuid AS event_id,
             d.e->>'type' AS type, (d.e->>'schemaVersion')::int AS schema_version, d.e->'data' AS data, d.e->'metadata' AS metadata,
             (d.e->>'occurredAt')::timestamptz AS occurred_at
        FROM drawn d
    ), digested AS (
      SELECT t.*, event_store.event_place(t.global_position, t.recorded_at) AS place,
             event_store.event_digest(p_stream, t.stream_position, t.event_id, t.type, t.schema_version, t.data, t.metadata, t.occurred_at) AS digest
        FROM typed t
    ), inserted AS (
      INSERT INTO event_store.events (global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
                                      occurred_at, recorded_at, stream_hash)
      OVERRIDING SYSTEM VALUE
      SELECT g.global_position, p_stream, g.stream_position, g.event_id, g.type, g.schema_version, g.data, g.metadata, g.occurred_at, g.recorded_at,
             event_store.chain(coalesce(v_tail, ''::bytea), g.place, g.digest) OVER w
        FROM digested g WINDOW w AS (ORDER BY g.global_position ROWS UNBOUNDED PRECEDING)
      RETURNING event_store.events.stream_position, event_store.events.global_position
    )
    SELECT max(i.stream_position), max(i.global_position), true FROM inserted i;
END
$fn$;
