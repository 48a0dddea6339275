import { routineFiles, type Migration } from '../../../postgres/src';

/** The event store's functions, installed in this order after the migrations at every start (see migrate.ts). */
export const EVENT_STORE_ROUTINES = routineFiles(__dirname, 'routines/hash-chain.sql', 'routines/append.sql', 'routines/append-batch.sql', 'routines/seal.sql');

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
  {
    version: 3,
    // The sealer and its tables' use are in routines/seal.sql.
    name: 'the global chain sealed after commit instead of locked at append',
    sql: `
-- One row per sealed event, in seal order (seq, gapless from 1); only ever inserted.
CREATE TABLE event_store.seals (
  seq             bigint PRIMARY KEY,
  global_position bigint NOT NULL UNIQUE,
  hash            bytea  NOT NULL
);
-- The sealer's checkpoint: the last sealed event (its commit-safe key) and its seal hash.
CREATE TABLE event_store.seal_head (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq             bigint      NOT NULL,
  transaction_id  xid8        NOT NULL,
  global_position bigint      NOT NULL,
  hash            bytea       NOT NULL,
  sealed_at       timestamptz NOT NULL,
  -- Set once, by this migration, when the global chain of the log it found was already broken: verify reports it.
  legacy_break    text,
  legacy_break_position bigint
);
`,
    // The log's old global chain (global_hash, linked at append under the chain_head lock, in position order) is
    // checked before it is dropped, so the seal never launders an earlier forgery: the first broken link, if any,
    // stays on record in the head. Then every stored event is sealed in commit-safe order. LOCK waits for appends
    // still running (an older engine) and holds off new ones until this commits.
    afterRoutines: `
LOCK TABLE event_store.events IN SHARE MODE;
SET LOCAL work_mem = '64MB';
INSERT INTO event_store.seal_head (seq, transaction_id, global_position, hash, sealed_at, legacy_break, legacy_break_position)
WITH digested AS MATERIALIZED (
  SELECT e.global_position, e.global_hash, event_store.event_place(e.global_position, e.recorded_at) AS place,
         event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at) AS digest
    FROM event_store.events e
), linked AS (
  SELECT d.global_position, d.global_hash,
         event_store.chain(''::bytea, d.place, d.digest) OVER (ORDER BY d.global_position ROWS UNBOUNDED PRECEDING) AS expected
    FROM digested d
), last AS (
  SELECT l.global_position, l.global_hash FROM linked l ORDER BY l.global_position DESC LIMIT 1
)
SELECT 0, '0'::xid8, 0, ''::bytea, clock_timestamp(),
       CASE WHEN b.global_position IS NOT NULL
              THEN 'before the upgrade to a sealed global chain, the old global chain was already broken at global position ' || b.global_position
            WHEN h.last_position IS DISTINCT FROM coalesce((SELECT last.global_position FROM last), 0)
              OR h.hash IS DISTINCT FROM coalesce((SELECT last.global_hash FROM last), ''::bytea)
              THEN 'before the upgrade to a sealed global chain, the old chain head (global position ' || coalesce(h.last_position::text, 'none')
                   || ') did not name the last event: events at the end were removed, or the head was altered' END,
       coalesce(b.global_position, CASE WHEN h.last_position IS DISTINCT FROM coalesce((SELECT last.global_position FROM last), 0)
                                          OR h.hash IS DISTINCT FROM coalesce((SELECT last.global_hash FROM last), ''::bytea)
                                        THEN coalesce(h.last_position, 0) END)
  FROM (SELECT min(l.global_position) AS global_position FROM linked l WHERE l.global_hash IS DISTINCT FROM l.expected) b
  LEFT JOIN event_store.chain_head h ON true;

INSERT INTO event_store.seals (seq, global_position, hash)
SELECT row_number() OVER w, e.global_position, event_store.chain(''::bytea, ''::bytea, coalesce(e.stream_hash, ''::bytea)) OVER w
  FROM event_store.events e WINDOW w AS (ORDER BY e.transaction_id, e.global_position ROWS UNBOUNDED PRECEDING);
UPDATE event_store.seal_head h SET seq = s.seq, transaction_id = e.transaction_id, global_position = e.global_position, hash = s.hash
  FROM (SELECT * FROM event_store.seals ORDER BY seq DESC LIMIT 1) s JOIN event_store.events e USING (global_position);

ALTER TABLE event_store.events DROP COLUMN global_hash;
DROP TABLE event_store.chain_head;
`,
  },
  {
    version: 4,
    // Declared through not-appending.ts; readAll's fence passes these transactions by.
    name: 'transactions declared not to append events',
    sql: `
-- A running transaction listed here never appends events, so log readers need not wait for it to end (a segment
-- evaluation or a churn scoring writing read models for seconds). Rows of ended transactions are removed by the next
-- declaration.
CREATE TABLE event_store.not_appending (
  xid         xid8 PRIMARY KEY,
  declared_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];
