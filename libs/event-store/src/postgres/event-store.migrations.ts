import { routineFiles, type Migration } from '../../../postgres/src';

/** The event store's functions, installed in this order after the migrations at every start (see migrate.ts). */
export const EVENT_STORE_ROUTINES = routineFiles(__dirname, 'routines/hash-chain.sql', 'routines/append.sql', 'routines/append-batch.sql');

export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // Shipped with the first append functions, which now live in routines/append.sql.
    name: 'events table and append functions',
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
`,
  },
  {
    version: 2,
    // The functions that compute the links are in routines/hash-chain.sql.
    name: 'hash chains per stream and over the commit order',
    sql: `
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
`,
    // Rows already stored (a user's existing data folder), chained in global position order: it calls the routines,
    // so it runs after they are installed, in the same transaction, and the ALTER TABLE above still holds off every
    // writer until it commits. The digests are materialised so the two window sorts carry them, not the events.
    afterRoutines: `
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
`,
  },
];
