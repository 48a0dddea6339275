import type { Pool, PoolClient } from 'pg';
import { BadCursor, decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';

/** One event as the audit trail shows it: metadata only, never its data. Instants are ISO 8601 UTC, milliseconds. */
export interface AuditTrailEntry {
  globalPosition: number;
  eventId: string;
  streamId: string;
  customerId: string | null;
  streamPosition: number;
  type: string;
  schemaVersion: number;
  actorId: string | null;
  actorRole: string | null;
  source: string | null;
  correlationId: string | null;
  causationId: string | null;
  occurredAt: string;
  recordedAt: string;
}

export interface AuditTrailPage {
  items: AuditTrailEntry[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface AuditTrailPaging {
  /** The nextCursor of the previous page (opaque); anything else is a BadCursor (the API's 400). */
  after?: string;
  limit: number;
}

export interface ActorAuditTrailQuery extends AuditTrailPaging {
  /** recorded_at bounds, ISO 8601 instants: from inclusive, to exclusive. */
  from?: string;
  to?: string;
}

const COLUMNS = `global_position, event_id, stream_id, customer_id, stream_position, type, schema_version, actor_id, actor_role, source,
  correlation_id, causation_id, ${isoInstantSql('occurred_at')} AS occurred_at, ${isoInstantSql('recorded_at')} AS recorded_at`;

const toEntry = (row: Record<string, unknown>): AuditTrailEntry => ({
  globalPosition: Number(row.global_position),
  eventId: row.event_id as string,
  streamId: row.stream_id as string,
  customerId: row.customer_id as string | null,
  streamPosition: Number(row.stream_position),
  type: row.type as string,
  schemaVersion: row.schema_version as number,
  actorId: row.actor_id as string | null,
  actorRole: row.actor_role as string | null,
  source: row.source as string | null,
  correlationId: row.correlation_id as string | null,
  causationId: row.causation_id as string | null,
  occurredAt: row.occurred_at as string,
  recordedAt: row.recorded_at as string,
});

/** A global position read back from a cursor: a whole number a bigint can hold, or the cursor was tampered with. */
const position = (value: string | number): number => {
  const n = typeof value === 'number' ? value : /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new BadCursor('cursor: must be the nextCursor of a previous page');
  return n;
};

const checkLimit = (limit: number): void => {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit: must be a positive integer, got ${limit}`);
};

const page = (rows: Record<string, unknown>[], limit: number, cursor: (last: AuditTrailEntry) => string): AuditTrailPage => {
  const items = rows.slice(0, limit).map(toEntry);
  return { items, nextCursor: rows.length > limit ? cursor(items[items.length - 1]) : null };
};

/** Log order: the cursor is (global position, event id), the existing [value, id] convention. */
async function inLogOrder(db: Pool | PoolClient, column: 'customer_id' | 'correlation_id', key: string, paging: AuditTrailPaging): Promise<AuditTrailPage> {
  checkLimit(paging.limit);
  const after = paging.after === undefined ? 0 : position(decodeCursor(paging.after, 'number')[0]);
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM read_models.audit_trail WHERE ${column} = $1 AND global_position > $2 ORDER BY global_position LIMIT $3`,
    [key, after, paging.limit + 1],
  );
  return page(rows, paging.limit, (last) => encodeCursor(last.globalPosition, last.eventId));
}

/** Everything that happened to one customer, in log order (oldest first). */
export function customerAuditTrail(db: Pool | PoolClient, customerId: string, paging: AuditTrailPaging): Promise<AuditTrailPage> {
  return inLogOrder(db, 'customer_id', customerId, paging);
}

/** Everything one request or import caused, across customers and streams, in log order. */
export function correlationAuditTrail(db: Pool | PoolClient, correlationId: string, paging: AuditTrailPaging): Promise<AuditTrailPage> {
  return inLogOrder(db, 'correlation_id', correlationId, paging);
}

/**
 * What one actor did, by when it was recorded (oldest first), the global position breaking ties. Keyed on
 * (recorded_at, global_position) rather than the position alone, so a page inside a [from, to) window walks the
 * (actor_id, recorded_at, global_position) index instead of sorting the whole window (an import actor has millions
 * of rows). recorded_at is stored to the millisecond, so the cursor's ISO instant is exact.
 */
export async function actorAuditTrail(db: Pool | PoolClient, actorId: string, query: ActorAuditTrailQuery): Promise<AuditTrailPage> {
  checkLimit(query.limit);
  const after = query.after === undefined ? null : decodeCursor(query.after, 'instant');
  // Only the conditions asked for, each a bound on the index's recorded_at (as in the touchpoint queue).
  const values: unknown[] = [];
  const param = (value: unknown): string => `$${values.push(value)}`;
  const where = [`t.actor_id = ${param(actorId)}`];
  if (query.from !== undefined) where.push(`t.recorded_at >= ${param(query.from)}`);
  if (query.to !== undefined) where.push(`t.recorded_at < ${param(query.to)}`);
  if (after) where.push(`(t.recorded_at, t.global_position) > (${param(after[0])}::timestamptz, ${param(position(after[1]))}::bigint)`);
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM read_models.audit_trail t WHERE ${where.join(' AND ')}
      ORDER BY t.recorded_at, t.global_position LIMIT ${param(query.limit + 1)}`,
    values,
  );
  return page(rows, query.limit, (last) => encodeCursor(last.recordedAt, String(last.globalPosition)));
}
