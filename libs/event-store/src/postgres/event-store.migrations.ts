import type { Migration } from './migrate';

export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events table and append functions',
    // Shaped by measurement (bench/RESULTS.md): the duplicate check is a LATERAL ... LIMIT 1 index probe, because
    // a join was planned once per connection while the log was empty and then scanned the whole table on every
    // append. Single-event appends (almost every command) take plain parameters, and check and insert in one
    // statement: the reason for a refusal is worked out only when nothing was inserted.
    sql: `
CREATE SCHEMA IF NOT EXISTS event_store;

CREATE TABLE event_store.events (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream_id       text        NOT NULL,
  stream_position bigint      NOT NULL,
  event_id        uuid        NOT NULL UNIQUE,
  type            text        NOT NULL,
  schema_version  int         NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- The writing transaction: readers only take rows of transactions older than every running one
  -- (pg_snapshot_xmin), so an event that commits late behind a higher position is never skipped.
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (stream_id, stream_position)
);
CREATE INDEX events_commit_order ON event_store.events (transaction_id, global_position);

-- One round trip, one transaction per append. The per-stream advisory lock is taken before the
-- transaction writes anything, so it has no transaction id yet: ids are then drawn in lock order and
-- the commit-safe read order (transaction_id, global_position) keeps each stream in stream order.
-- The expected version is checked before the INSERT draws a global position, so a loser burns none.
CREATE FUNCTION event_store.append_events(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (stream_version bigint, last_position bigint, written boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    int := jsonb_array_length(p_events);
  v_existing int;
  v_same     boolean;
  v_conflict text;
  v_current  bigint;
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

  SELECT coalesce(max(e.stream_position), 0) INTO v_current FROM event_store.events e WHERE e.stream_id = p_stream;
  IF (p_expected = 'no_stream' AND v_current <> 0)
     OR (p_expected = 'stream_exists' AND v_current = 0)
     OR (p_expected ~ '^[0-9]+$' AND v_current <> p_expected::bigint)
     OR p_expected !~ '^([0-9]+|any|no_stream|stream_exists)$' THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'ES001', DETAIL = v_current::text;
  END IF;

  RETURN QUERY
    WITH inserted AS (
      INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
      SELECT p_stream, v_current + x.ord, (x.e->>'eventId')::uuid, x.e->>'type', (x.e->>'schemaVersion')::int,
             x.e->'data', x.e->'metadata', (x.e->>'occurredAt')::timestamptz
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, ord)
       ORDER BY x.ord
      RETURNING event_store.events.stream_position, event_store.events.global_position
    )
    SELECT max(i.stream_position), max(i.global_position), true FROM inserted i;
END
$fn$;

CREATE FUNCTION event_store.append_event(
  p_stream text, p_expected text, p_event_id uuid, p_type text, p_schema_version int, p_data jsonb, p_metadata jsonb,
  p_occurred_at timestamptz, OUT stream_version bigint, OUT last_position bigint, OUT written boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_stream   text;
  v_type     text;
  v_data     jsonb;
  v_occurred timestamptz;
  v_current  bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

  -- The version check sits in the WHERE clause, evaluated before the identity default draws a position.
  INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
  SELECT p_stream, c.version + 1, p_event_id, p_type, p_schema_version, p_data, p_metadata, p_occurred_at
    FROM (SELECT coalesce(max(e.stream_position), 0) AS version FROM event_store.events e WHERE e.stream_id = p_stream) c
   WHERE NOT EXISTS (SELECT 1 FROM event_store.events e WHERE e.event_id = p_event_id)
     AND CASE WHEN p_expected = 'no_stream' THEN c.version = 0
              WHEN p_expected = 'stream_exists' THEN c.version > 0
              WHEN p_expected ~ '^[0-9]+$' THEN c.version = p_expected::bigint
              ELSE p_expected = 'any' END
  RETURNING event_store.events.stream_position, event_store.events.global_position INTO stream_version, last_position;
  IF FOUND THEN
    written := true;
    RETURN;
  END IF;

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
  SELECT coalesce(max(e.stream_position), 0) INTO v_current FROM event_store.events e WHERE e.stream_id = p_stream;
  RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'ES001', DETAIL = v_current::text;
END
$fn$;
`,
  },
];
