import type { Pool, PoolClient } from 'pg';
import { migrate, type Migration } from '../../postgres/src';
import { BadCursor, decodeCursor, encodeCursor, isoInstantSql } from '../../projection-engine/src';

/**
 * The read-access log (issue 7): who was given whose personal data, and who was turned away. Unlike a read model
 * it cannot be rebuilt from the event log, so it lives in its own schema `audit`, which no rebuild touches.
 */

export const ACCESS_OUTCOMES = ['read', 'unauthenticated', 'forbidden', 'rate-limited'] as const;
export type AccessOutcome = (typeof ACCESS_OUTCOMES)[number];

export interface AccessEntry {
  /** ISO 8601 instant; default the database's now() (the transaction's start). Kept to the millisecond. */
  at?: string;
  /** Null when the caller is unknown (unauthenticated, or rate-limited before authentication). */
  actorId?: string | null;
  actorRole?: string | null;
  /** Method and route pattern, e.g. 'GET /customers/:id', so rows group by endpoint, not by customer. */
  endpoint: string;
  /** The customer whose personal data was read: required for 'read', absent for a denial. */
  customerId?: string | null;
  outcome: AccessOutcome;
  /** The HTTP status answered. */
  status: number;
  correlationId?: string | null;
}

export interface AccessRecord {
  id: number;
  at: string;
  actorId: string | null;
  actorRole: string | null;
  endpoint: string;
  customerId: string | null;
  outcome: AccessOutcome;
  status: number;
  correlationId: string | null;
}

export const AUDIT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'read-access log',
    // `at` is truncated to the millisecond on the way in: the API shows instants at that precision, and the page
    // cursor carries the instant it shows, so a finer stored value could make a page skip or repeat rows.
    sql: `
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.access_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  actor_id       text,
  actor_role     text,
  endpoint       text NOT NULL,
  customer_id    text,
  outcome        text NOT NULL CONSTRAINT access_log_outcome CHECK (outcome IN ('read', 'unauthenticated', 'forbidden', 'rate-limited')),
  status         smallint NOT NULL CONSTRAINT access_log_status CHECK (status BETWEEN 100 AND 599),
  correlation_id text,
  -- A read names the customer and who read; a denial names no customer (nothing was given out).
  CONSTRAINT access_log_read_names_customer CHECK (
    CASE WHEN outcome = 'read' THEN customer_id IS NOT NULL AND actor_id IS NOT NULL ELSE customer_id IS NULL END)
);
COMMENT ON TABLE audit.access_log IS
  'Read-access log (issue 7): one row per customer whose personal data a response carried, one per denied request. '
  'Not a read model: it cannot be rebuilt from the event log; rebuilds never touch the audit schema.';

-- Pages go newest first on (at, id): each filter walks one of these backwards.
CREATE INDEX access_log_customer ON audit.access_log (customer_id, at, id) WHERE customer_id IS NOT NULL;
CREATE INDEX access_log_actor ON audit.access_log (actor_id, at, id);
CREATE INDEX access_log_at ON audit.access_log (at, id);
-- Denials are few among reads: listing them by outcome must not filter its way through every read.
CREATE INDEX access_log_denials ON audit.access_log (outcome, at, id) WHERE outcome <> 'read';
`,
  },
];

/** Creates or upgrades audit.access_log; safe to run at every start and from several processes at once. */
export const migrateAuditLog = (pool: Pool): Promise<number[]> => migrate(pool, 'audit_access_log', AUDIT_LOG_MIGRATIONS);

/**
 * Appends entries in one statement (one round trip, however many: a 100,000-customer export is one call), one
 * array per column, unnested. Entries without `at` get the statement's now(). Returns the number of rows written.
 */
export async function recordAccess(db: Pool | PoolClient, entries: readonly AccessEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO audit.access_log (at, actor_id, actor_role, endpoint, customer_id, outcome, status, correlation_id)
     SELECT date_trunc('milliseconds', coalesce(e.at, now())), e.actor_id, e.actor_role, e.endpoint, e.customer_id, e.outcome, e.status, e.correlation_id
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[])
            AS e(at, actor_id, actor_role, endpoint, customer_id, outcome, status, correlation_id)`,
    [
      entries.map((e) => e.at ?? null),
      entries.map((e) => e.actorId ?? null),
      entries.map((e) => e.actorRole ?? null),
      entries.map((e) => e.endpoint),
      entries.map((e) => e.customerId ?? null),
      entries.map((e) => e.outcome),
      entries.map((e) => e.status),
      entries.map((e) => e.correlationId ?? null),
    ],
  );
  return rowCount ?? 0;
}

export interface AccessQuery {
  customerId?: string;
  actorId?: string;
  outcome?: AccessOutcome;
  /** Bounds on `at`, ISO 8601 instants: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  /** The nextCursor of the previous page (opaque); anything else is a BadCursor (the API's 400). */
  after?: string;
  limit: number;
}

/**
 * One page of the log, **newest first** (by `at`, then id): an auditor starts from what happened last. The cursor
 * is the last row's [at, id], in the projection engine's [value, key] convention.
 */
export async function listAccess(db: Pool | PoolClient, query: AccessQuery): Promise<{ items: AccessRecord[]; nextCursor: string | null }> {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new RangeError(`limit: must be a positive integer, got ${query.limit}`);
  const after = query.after === undefined ? null : decodeCursor(query.after, 'instant');
  if (after && !/^\d{1,15}$/.test(after[1])) throw new BadCursor('cursor: must be the nextCursor of a previous page');
  // Only the conditions asked for, so the planner can walk the matching (…, at, id) index backwards.
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => `$${values.push(value)}`;
  if (query.customerId !== undefined) where.push(`l.customer_id = ${param(query.customerId)}`);
  if (query.actorId !== undefined) where.push(`l.actor_id = ${param(query.actorId)}`);
  if (query.outcome !== undefined) where.push(`l.outcome = ${param(query.outcome)}`);
  if (query.from !== undefined) where.push(`l.at >= ${param(query.from)}`);
  if (query.to !== undefined) where.push(`l.at < ${param(query.to)}`);
  if (after) where.push(`(l.at, l.id) < (${param(after[0])}::timestamptz, ${param(after[1])}::bigint)`);
  const { rows } = await db.query(
    `SELECT l.id, ${isoInstantSql('l.at')} AS at, l.actor_id, l.actor_role, l.endpoint, l.customer_id, l.outcome, l.status, l.correlation_id
       FROM audit.access_log l ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY l.at DESC, l.id DESC LIMIT ${param(query.limit + 1)}`,
    values,
  );
  const items: AccessRecord[] = rows.slice(0, query.limit).map((row) => ({
    id: Number(row.id),
    at: row.at,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    endpoint: row.endpoint,
    customerId: row.customer_id,
    outcome: row.outcome,
    status: row.status,
    correlationId: row.correlation_id,
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(last.at, String(last.id)) : null };
}
