import type { Pool, PoolClient } from 'pg';
import type { TouchpointFacts } from '../../libs/touchpoints/src';
import { decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';

export const QUEUE_STATUSES = ['open', 'overdue', 'done', 'skipped', 'cancelled', 'held-out'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export interface TouchpointRow {
  touchpointId: string;
  customerId: string;
  bookingId: string | null;
  complaintId: string | null;
  alertId: string | null;
  /** The campaign of a campaign touchpoint. */
  campaignId: string | null;
  kind: string;
  phase: string;
  dueAt: string;
  channel: string;
  language: string;
  urgent: boolean;
  marketing: boolean;
  status: string;
  contentHints: string[];
  reason: string | null;
  completedAt: string | null;
  completedBy: string | null;
  outcome: string | null;
  note: string | null;
  /** The customer's own time zone (customer_overview), for showing the due time as the customer sees it. */
  timeZone: string | null;
}

const COLUMNS = `touchpoint_id, customer_id, booking_id, complaint_id, alert_id, campaign_id, kind, phase, ${isoInstantSql('due_at')} AS due_at, channel, language, urgent, marketing,
  status, content_hints, reason, ${isoInstantSql('completed_at')} AS completed_at, completed_by, outcome, note,
  (SELECT o.time_zone FROM read_models.customer_overview o WHERE o.customer_id = t.customer_id) AS time_zone`;

/** Overdue is derived: open and due at or before the query instant. */
const rowOf = (row: Record<string, unknown>, asOf: number): TouchpointRow & { overdue: boolean } => ({
  touchpointId: row.touchpoint_id as string,
  customerId: row.customer_id as string,
  bookingId: row.booking_id as string | null,
  complaintId: row.complaint_id as string | null,
  alertId: row.alert_id as string | null,
  campaignId: row.campaign_id as string | null,
  kind: row.kind as string,
  phase: row.phase as string,
  dueAt: row.due_at as string,
  channel: row.channel as string,
  language: row.language as string,
  urgent: row.urgent as boolean,
  marketing: row.marketing as boolean,
  status: row.status as string,
  overdue: row.status === 'open' && Date.parse(row.due_at as string) <= asOf,
  contentHints: row.content_hints as string[],
  reason: row.reason as string | null,
  completedAt: row.completed_at as string | null,
  completedBy: row.completed_by as string | null,
  outcome: row.outcome as string | null,
  note: row.note as string | null,
  timeZone: row.time_zone as string | null,
});

export interface QueueQuery {
  status?: QueueStatus;
  dueBefore?: string;
  dueAfter?: string;
  channel?: string;
  kind?: string;
  /** The instant "overdue" is judged at. */
  asOf: string;
  limit: number;
  cursor?: string;
}

/** Rows that are not open campaign touchpoints of a campaign that is not running (paused, ended, unknown). */
export const RUNNING_CAMPAIGNS_ONLY = `(t.campaign_id IS NULL OR t.status <> 'open'
  OR EXISTS (SELECT 1 FROM read_models.campaigns c WHERE c.campaign_id = t.campaign_id AND c.status = 'running'))`;

/** The statuses the queue lists when none is asked for: every one but held-out (never worked). */
const WORKED_STATUSES = ['open', 'done', 'skipped', 'cancelled'] as const;

/**
 * The work queue: touchpoints by due time (then id), keyset-paged, filtered by status, due window, channel and kind.
 * Each status is walked in (status, due_at, touchpoint_id) order, a page at most, and without a status the walks are
 * merged: one index serves both, so a launch's rows are kept in one index fewer (a due-time index of its own cost
 * some 0.15 s per 90,000 rows copied in; issue 18).
 */
export async function touchpointQueue(pool: Pool, query: QueueQuery): Promise<{ asOf: string; items: (TouchpointRow & { overdue: boolean })[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor, 'instant') : null;
  const asOf = Date.parse(query.asOf);
  // Overdue: open and due at or before the instant (and before dueBefore, if given).
  const status = query.status === 'overdue' ? 'open' : query.status;
  // Only the conditions asked for, so the planner can walk the index.
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (condition: (placeholder: string) => string, ...given: unknown[]): void => {
    const placeholders = given.map((value) => `$${values.push(value)}`);
    where.push(condition(placeholders.join(', ')));
  };
  if (query.status === 'overdue') add((p) => `t.due_at <= ${p}`, new Date(asOf).toISOString());
  if (query.dueBefore) add((p) => `t.due_at < ${p}`, query.dueBefore);
  if (query.dueAfter) add((p) => `t.due_at >= ${p}`, query.dueAfter);
  if (query.channel) add((p) => `channel = ${p}`, query.channel);
  if (query.kind) add((p) => `kind = ${p}`, query.kind);
  // An open campaign touchpoint is worked only while its campaign runs: paused and ended campaigns are left out here,
  // at read time (the campaign's events are in its own stream, which the customer-partitioned schedule never reads).
  where.push(RUNNING_CAMPAIGNS_ONLY);
  if (after) add((p) => `(t.due_at, t.touchpoint_id) > (${p.split(', ')[0]}::timestamptz, ${p.split(', ')[1]})`, after[0], after[1]);
  const limit = `$${values.push(query.limit + 1)}`;
  // Held-out touchpoints are never worked: listed only when asked for by status.
  const statuses = status ? [`$${values.push(status)}`] : WORKED_STATUSES.map((worked) => `'${worked}'`);
  // ORDER BY names the table's column: a bare due_at would be the text the select list makes of it (no index).
  const walks = statuses.map((placeholder) => `(SELECT * FROM read_models.touchpoints t WHERE status = ${placeholder} AND ${where.join(' AND ')} ORDER BY t.due_at, t.touchpoint_id LIMIT ${limit})`);
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM (${walks.join(' UNION ALL ')}) t ORDER BY t.due_at, t.touchpoint_id LIMIT ${limit}`, values);
  const items = rows.slice(0, query.limit).map((row) => rowOf(row, asOf));
  const last = items[items.length - 1];
  return { asOf: new Date(asOf).toISOString(), items, nextCursor: rows.length > query.limit ? encodeCursor(last.dueAt, last.touchpointId) : null };
}

/** A customer's whole schedule, by due time. */
export async function customerTouchpoints(pool: Pool, customerId: string, asOf: string): Promise<(TouchpointRow & { overdue: boolean })[]> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM read_models.touchpoints t WHERE customer_id = $1 ORDER BY t.due_at, t.touchpoint_id`, [customerId]);
  return rows.map((row) => rowOf(row, Date.parse(asOf)));
}

/** One touchpoint, for completing it. */
export async function touchpoint(pool: Pool, touchpointId: string): Promise<TouchpointRow | null> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM read_models.touchpoints t WHERE touchpoint_id = $1`, [touchpointId]);
  return rows[0] ? rowOf(rows[0], Date.now()) : null;
}

/** Touchpoints per UTC day and kind with a due time in [from, to), by status. */
export async function touchpointCalendar(pool: Pool, from: string, to: string): Promise<{ day: string; kind: string; open: number; done: number; skipped: number; cancelled: number }[]> {
  const { rows } = await pool.query(
    `SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind,
            count(*) FILTER (WHERE status = 'open')::int AS open, count(*) FILTER (WHERE status = 'done')::int AS done,
            count(*) FILTER (WHERE status = 'skipped')::int AS skipped, count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
       FROM read_models.touchpoints WHERE due_at >= $1 AND due_at < $2 GROUP BY 1, 2 ORDER BY 1, 2`,
    [from, to],
  );
  return rows;
}

/** The risk alerts recorded for these countries, oldest first: what a schedule of bookings there must take into account. */
export async function riskAlertsFor(db: Pool | PoolClient, countries: readonly string[]): Promise<TouchpointFacts['riskAlerts']> {
  if (!countries.length) return [];
  const { rows } = await db.query(
    `SELECT alert_id, ${isoInstantSql('issued_at')} AS issued_at, country, city, to_char(from_date, 'YYYY-MM-DD') AS from_date, to_char(to_date, 'YYYY-MM-DD') AS to_date, severity, message
       FROM read_models.touchpoint_risk_alerts WHERE country = ANY($1) ORDER BY issued_at, alert_id`,
    [countries],
  );
  return rows.map((row) => ({
    alertId: row.alert_id,
    issuedAt: row.issued_at,
    country: row.country,
    ...(row.city && { city: row.city }),
    from: row.from_date,
    to: row.to_date,
    severity: row.severity,
    message: row.message,
  }));
}

/**
 * The latest due instant of each customer's open and done marketing rows (none: not in the map), from each
 * customer's own index entries: the row conditions are in the aggregate's FILTER, so the customer index is the one
 * index the WHERE can use. Two plans it replaced, each found in a launch: a LIMIT 1 subquery per customer, ordered by due_at,
 * walked a due_at index across every customer (30 s of a 36-s launch to 20,000); the conditions in the WHERE let a
 * planner with statistics older than the rows (right after a catch-up) take the (status, due_at) index, and read
 * every open and done row of the table for each batch (6.2 s of a 14.5-s launch to 50,000).
 */
export async function latestMarketingDue(db: Pool | PoolClient, customerIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ customer_id: string; due_at: Date | null }>(
    `SELECT c.customer_id, latest.due_at FROM unnest($1::text[]) AS c(customer_id) CROSS JOIN LATERAL (
       SELECT max(t.due_at) FILTER (WHERE t.marketing AND t.status IN ('open', 'done')) AS due_at FROM read_models.touchpoints t WHERE t.customer_id = c.customer_id) latest`,
    [customerIds],
  );
  return new Map(rows.flatMap((row) => (row.due_at ? [[row.customer_id, row.due_at.toISOString()] as const] : [])));
}
