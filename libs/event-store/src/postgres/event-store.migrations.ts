import type { Migration } from '../../../postgres/src';

// Tamper evidence (issue 7). Every stored event carries two links: stream_hash chains it to the previous event of its
// stream, global_hash to the previous event of the whole log. A link is event_link(previous hash, global position,
// recorded_at, digest), the first link of a chain starts from the empty string, and the digest covers the row as stored
// (data and metadata as jsonb text: the ciphertext of encrypted fields, too). The verifier (hash-chain.ts) checks each
// link against the stored hashes, so any altered, removed or inserted row breaks a link at or right after it.
const HASH_CHAIN_SQL = `
-- Nullable: a row written around the append functions (plain SQL) has no hashes, and the verifier names it.
ALTER TABLE event_store.events ADD COLUMN stream_hash bytea, ADD COLUMN global_hash bytea;

-- The head of the global chain. Every append locks this one row FOR UPDATE before it draws global positions and
-- holds the lock until it commits, so appends take turns: lock order = position order = commit order. Each append
-- therefore chains to the last committed one, a rolled-back append leaves the head as it was, and no event
-- commits later than one with a higher position. The price: commits no longer overlap (see bench/RESULTS.md).
-- It also records where the chain ends, so a truncated tail is noticed.
CREATE TABLE event_store.chain_head (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  hash          bytea  NOT NULL,
  last_position bigint NOT NULL
);

-- The digest of what an event says: sha256 of the UTF-8 JSON array
--   [stream_id, stream_position, "event_id", type, schema_version, data, metadata, occurred_at]
-- with data and metadata as their jsonb text (deterministic for a jsonb value) and the instant as seconds since
-- 1970-01-01 UTC with six decimals (exact): no DateStyle or TimeZone reaches the text. It leaves out where the log put
-- the event (global position, recorded_at: event_link covers those), so a batch computes it while its rows stream in.
-- plpgsql and || rather than an IMMUTABLE SQL function over concat(): such a function is not inlined (its calls are
-- STABLE), and per event it cost twice as much (11 µs against 4.9 µs, measured with both instants).
CREATE FUNCTION event_store.event_digest(
  p_stream_id text, p_stream_position bigint, p_event_id uuid, p_type text, p_schema_version int,
  p_data jsonb, p_metadata jsonb, p_occurred_at timestamptz) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  RETURN sha256(convert_to('[' || to_json(p_stream_id)::text || ',' || p_stream_position::text || ',"' || p_event_id::text || '",'
    || to_json(p_type)::text || ',' || p_schema_version::text || ',' || p_data::text || ',' || p_metadata::text || ','
    || CASE WHEN isfinite(p_occurred_at) THEN extract(epoch FROM p_occurred_at)::text ELSE to_json(p_occurred_at::text)::text END
    || ']', 'UTF8'));
END
$fn$;

-- One link: sha256 of event_place (the UTF-8 text "[global_position,recorded_at]", seconds as above), the previous
-- hash (empty or 32 bytes) and the digest (32 bytes). The text ends at its first ']', so the three parts never run
-- into each other. The global position is in every link, so moving an event is noticed too. event_link is plain SQL
-- so that it is inlined; its parts are plpgsql for the reason above.
CREATE FUNCTION event_store.event_place(p_global_position bigint, p_recorded_at timestamptz) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  RETURN convert_to('[' || p_global_position::text || ','
    || CASE WHEN isfinite(p_recorded_at) THEN extract(epoch FROM p_recorded_at)::text ELSE to_json(p_recorded_at::text)::text END
    || ']', 'UTF8');
END
$fn$;
CREATE FUNCTION event_store.event_link(p_previous bytea, p_global_position bigint, p_recorded_at timestamptz, p_digest bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sha256(event_store.event_place(p_global_position, p_recorded_at) || p_previous || p_digest);

-- chain(seed, place, digest) as a running window aggregate gives each row its link: the first row links to the seed
-- (the stream's stored tail, or the chain head), every later one to the row before it.
CREATE FUNCTION event_store.chain_step(p_state bytea, p_seed bytea, p_place bytea, p_digest bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  RETURN sha256(p_place || coalesce(p_state, p_seed) || p_digest);
END
$fn$;
CREATE AGGREGATE event_store.chain(bytea, bytea, bytea) (SFUNC = event_store.chain_step, STYPE = bytea);

-- Rows already stored (a user's existing data folder), chained in global position order. The ALTER TABLE above
-- holds off every writer until this migration commits. The digests are materialised so the two window sorts carry
-- them, not the events.
SET LOCAL work_mem = '64MB';
WITH digested AS MATERIALIZED (
  SELECT e.global_position, e.stream_id, e.stream_position, event_store.event_place(e.global_position, e.recorded_at) AS place,
         event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at) AS digest
    FROM event_store.events e
), linked AS (
  SELECT d.global_position,
         event_store.chain(''::bytea, d.place, d.digest) OVER (PARTITION BY d.stream_id ORDER BY d.stream_position ROWS UNBOUNDED PRECEDING) AS stream_hash,
         event_store.chain(''::bytea, d.place, d.digest) OVER (ORDER BY d.global_position ROWS UNBOUNDED PRECEDING) AS global_hash
    FROM digested d
)
UPDATE event_store.events e SET stream_hash = l.stream_hash, global_hash = l.global_hash
  FROM linked l WHERE e.global_position = l.global_position;
INSERT INTO event_store.chain_head (hash, last_position)
SELECT coalesce((SELECT e.global_hash FROM event_store.events e ORDER BY e.global_position DESC LIMIT 1), ''::bytea),
       coalesce((SELECT max(e.global_position) FROM event_store.events e), 0);

-- Single events (almost every command). Refusals are sorted out before the head is locked, so an idempotent retry
-- neither waits for nor touches the chain; the version is read after the lock, so a batch that committed while this
-- append waited is seen. The position is drawn under the lock and the link needs it, hence OVERRIDING SYSTEM VALUE.
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
  v_head     bytea;
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

  SELECT h.hash INTO v_head FROM event_store.chain_head h FOR UPDATE;
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
  v_head := event_store.event_link(v_head, last_position, v_recorded, v_digest);
  INSERT INTO event_store.events (global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
                                  occurred_at, recorded_at, stream_hash, global_hash)
  OVERRIDING SYSTEM VALUE
  VALUES (last_position, p_stream, stream_version, p_event_id, p_type, p_schema_version, p_data, p_metadata,
          p_occurred_at, v_recorded, event_store.event_link(coalesce(v_tail, ''::bytea), last_position, v_recorded, v_digest), v_head);
  UPDATE event_store.chain_head SET hash = v_head, last_position = append_event.last_position;
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
  v_head     bytea;
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

  SELECT h.hash INTO v_head FROM event_store.chain_head h FOR UPDATE;
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
                                      occurred_at, recorded_at, stream_hash, global_hash)
      OVERRIDING SYSTEM VALUE
      SELECT g.global_position, p_stream, g.stream_position, g.event_id, g.type, g.schema_version, g.data, g.metadata, g.occurred_at, g.recorded_at,
             event_store.chain(coalesce(v_tail, ''::bytea), g.place, g.digest) OVER w, event_store.chain(v_head, g.place, g.digest) OVER w
        FROM digested g WINDOW w AS (ORDER BY g.global_position ROWS UNBOUNDED PRECEDING)
      RETURNING event_store.events.stream_position, event_store.events.global_position, event_store.events.global_hash
    ), head AS (
      UPDATE event_store.chain_head SET hash = i.global_hash, last_position = i.global_position
        FROM (SELECT * FROM inserted ORDER BY global_position DESC LIMIT 1) i
    )
    SELECT max(i.stream_position), max(i.global_position), true FROM inserted i;
END
$fn$;

-- The bulk path: appendBatch COPYs its rows into this session's staging table (COPY order = ord), which digests
-- each row as it arrives, while the client is still streaming; then one call chains and inserts them. The head is
-- locked only for that server-side step. A batch of 10,000 events is about 9 MB: more local buffers than the
-- default 8 MB keep it off the disk (settable only before the session's first temporary table, hence here).
CREATE FUNCTION event_store.open_staging() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF to_regclass('pg_temp.event_store_staging') IS NULL THEN
    BEGIN
      PERFORM set_config('temp_buffers', '32MB', false);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    CREATE TEMP TABLE event_store_staging (
      ord bigint GENERATED ALWAYS AS IDENTITY, stream_id text NOT NULL, stream_position bigint NOT NULL, event_id uuid NOT NULL,
      type text NOT NULL, schema_version int NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, occurred_at timestamptz NOT NULL,
      digest bytea GENERATED ALWAYS AS (event_store.event_digest(stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)) STORED
    ) ON COMMIT DELETE ROWS;
  END IF;
END
$fn$;

-- Versions were checked by the caller before the COPY; a writer that slipped in since collides on
-- (stream_id, stream_position) here and the batch rolls back. Shaped by EXPLAIN ANALYZE on 10,000-event batches:
-- the window sorts carry 100-byte rows, not the events (which spilled to disk three times), and the links come back
-- as two strings of 32-byte hashes in ord order, so the insert reads the staging table straight through (a join by
-- ord sorted the events on disk again; a bytea[] subscript walks the array). Positions come as one block (ord is
-- gapless within the one COPY of a transaction): while the head is locked no other append draws any.
CREATE FUNCTION event_store.append_staged() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_head     bytea;
  v_count    bigint;
  v_first    bigint;
  v_last     bigint;
  v_base     bigint;
  v_recorded timestamptz;
  v_stream   bytea;
  v_global   bytea;
BEGIN
  SELECT count(*), min(s.ord), max(s.ord) INTO v_count, v_first, v_last FROM pg_temp.event_store_staging s;
  IF v_count = 0 THEN
    RETURN;
  ELSIF v_last - v_first + 1 <> v_count THEN
    RAISE EXCEPTION 'event_store_staging holds % rows numbered % to %: one COPY per transaction', v_count, v_first, v_last;
  END IF;
  SELECT h.hash INTO v_head FROM event_store.chain_head h FOR UPDATE;
  v_base := nextval('event_store.events_global_position_seq') - v_first;
  IF v_last > v_first THEN
    PERFORM setval('event_store.events_global_position_seq', v_base + v_last);
  END IF;
  v_recorded := clock_timestamp();

  WITH tails AS MATERIALIZED (
    SELECT f.stream_id, coalesce((SELECT e.stream_hash FROM event_store.events e
                                   WHERE e.stream_id = f.stream_id AND e.stream_position = f.first - 1), ''::bytea) AS hash
      FROM (SELECT s.stream_id, min(s.stream_position) AS first FROM pg_temp.event_store_staging s GROUP BY s.stream_id) f
  ), placed AS (
    SELECT s.ord, s.stream_id, s.stream_position, s.digest, event_store.event_place(v_base + s.ord, v_recorded) AS place
      FROM pg_temp.event_store_staging s
  ), linked AS (
    SELECT p.ord,
           event_store.chain(t.hash, p.place, p.digest) OVER (PARTITION BY p.stream_id ORDER BY p.stream_position ROWS UNBOUNDED PRECEDING) AS stream_hash,
           event_store.chain(v_head, p.place, p.digest) OVER (ORDER BY p.ord ROWS UNBOUNDED PRECEDING) AS global_hash
      FROM placed p JOIN tails t USING (stream_id)
  )
  SELECT string_agg(l.stream_hash, ''::bytea ORDER BY l.ord), string_agg(l.global_hash, ''::bytea ORDER BY l.ord)
    INTO v_stream, v_global FROM linked l;

  INSERT INTO event_store.events (global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
                                  occurred_at, recorded_at, stream_hash, global_hash)
  OVERRIDING SYSTEM VALUE
  SELECT v_base + s.ord, s.stream_id, s.stream_position, s.event_id, s.type, s.schema_version, s.data, s.metadata,
         s.occurred_at, v_recorded, substring(v_stream FROM (s.ord - v_first)::int * 32 + 1 FOR 32),
         substring(v_global FROM (s.ord - v_first)::int * 32 + 1 FOR 32)
    FROM pg_temp.event_store_staging s;
  UPDATE event_store.chain_head SET hash = substring(v_global FROM (v_last - v_first)::int * 32 + 1 FOR 32), last_position = v_base + v_last;
END
$fn$;
`;

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
  {
    version: 2,
    name: 'hash chains per stream and over the commit order',
    sql: HASH_CHAIN_SQL,
  },
];
