-- The bulk path: appendBatch COPYs its rows into this session's staging table (COPY order = ord), which draws each
-- row's global position and digests it as it arrives, while the client is still streaming; then one call links each
-- stream's rows and inserts them. No lock is shared with other appends: positions come from the sequence one by one
-- (other appends may draw between them), and the global chain is sealed after commit (seal.sql). A batch of 10,000
-- events is about 9 MB: more local buffers than the default 8 MB keep it off the disk (settable only before the
-- session's first temporary table, hence here). Called after the versions are read: the first call of a session
-- creates the table, which gives the transaction its id, and that id must be younger than every event it follows.
CREATE OR REPLACE FUNCTION event_store.open_staging() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF to_regclass('pg_temp.event_store_staged') IS NULL THEN
    BEGIN
      PERFORM set_config('temp_buffers', '32MB', false);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    CREATE TEMP TABLE event_store_staged (
      ord bigint GENERATED ALWAYS AS IDENTITY, stream_id text NOT NULL, stream_position bigint NOT NULL, event_id uuid NOT NULL,
      type text NOT NULL, schema_version int NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, occurred_at timestamptz NOT NULL,
      global_position bigint NOT NULL DEFAULT nextval('event_store.events_global_position_seq'),
      digest bytea GENERATED ALWAYS AS (event_store.event_digest(stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)) STORED
    ) ON COMMIT DELETE ROWS;
  END IF;
END
$fn$;

-- Versions were checked by the caller before the COPY; a writer that slipped in since collides on
-- (stream_id, stream_position) here and the batch rolls back. Shaped by EXPLAIN ANALYZE on 10,000-event batches:
-- the window sort carries 100-byte rows, not the events (which spilled to disk three times), and the links come back
-- as one string of 32-byte hashes in ord order, so the insert reads the staging table straight through (a join by
-- ord sorted the events on disk again; a bytea[] subscript walks the array). ord is gapless within the one COPY of a
-- transaction.
CREATE OR REPLACE FUNCTION event_store.append_staged() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    bigint;
  v_first    bigint;
  v_last     bigint;
  v_recorded timestamptz;
  v_stream   bytea;
BEGIN
  SELECT count(*), min(s.ord), max(s.ord) INTO v_count, v_first, v_last FROM pg_temp.event_store_staged s;
  IF v_count = 0 THEN
    RETURN;
  ELSIF v_last - v_first + 1 <> v_count THEN
    RAISE EXCEPTION 'event_store_staged holds % rows numbered % to %: one COPY per transaction', v_count, v_first, v_last;
  END IF;
  v_recorded := clock_timestamp();

  WITH tails AS MATERIALIZED (
    SELECT f.stream_id, coalesce((SELECT e.stream_hash FROM event_store.events e
                                   WHERE e.stream_id = f.stream_id AND e.stream_position = f.first - 1), ''::bytea) AS hash
      FROM (SELECT s.stream_id, min(s.stream_position) AS first FROM pg_temp.event_store_staged s GROUP BY s.stream_id) f
  ), linked AS (
    SELECT s.ord,
           event_store.chain(t.hash, event_store.event_place(s.global_position, v_recorded), s.digest)
             OVER (PARTITION BY s.stream_id ORDER BY s.stream_position ROWS UNBOUNDED PRECEDING) AS stream_hash
      FROM pg_temp.event_store_staged s JOIN tails t USING (stream_id)
  )
  SELECT string_agg(l.stream_hash, ''::bytea ORDER BY l.ord) INTO v_stream FROM linked l;

  INSERT INTO event_store.events (global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata,
                                  occurred_at, recorded_at, stream_hash)
  OVERRIDING SYSTEM VALUE
  SELECT s.global_position, s.stream_id, s.stream_position, s.event_id, s.type, s.schema_version, s.data, s.metadata,
         s.occurred_at, v_recorded, substring(v_stream FROM (s.ord - v_first)::int * 32 + 1 FOR 32)
    FROM pg_temp.event_store_staged s;
END
$fn$;
