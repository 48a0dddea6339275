import type { Pool, PoolClient } from 'pg';
import { COMPLAINT_SEVERITIES, TRIP_PHASES } from '../../libs/domain/src/customer.events';
import { inClientTransaction, withClient } from '../../libs/postgres/src';
import { monthsOf, type FeedbackRange } from './feedback.queries';

/** One read-only snapshot (REPEATABLE READ takes no transaction id, so it holds back no log reader): the parts agree. */
const inSnapshot = <T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> =>
  withClient(pool, (client) => inClientTransaction(client, work, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));

/** 100 × complaints / trips, to 2 decimals; null without trips. */
export const per100 = (complaints: number, trips: number): number | null => (trips === 0 ? null : Math.round((10_000 * complaints) / trips) / 100);

export interface ComplaintRateCell {
  /** UTC month filed in (by=month), else null. */
  month: string | null;
  category: string;
  /** Null: not recorded (every complaint filed before schema version 2). */
  department: string | null;
  phase: string | null;
  complaints: number;
  /** Trips departed in the same month (by=month) or in the whole range. */
  trips: number;
  per100Trips: number | null;
}

export interface ComplaintRates {
  from: string;
  to: string;
  by: 'total' | 'month';
  /** Trips taken: bookings whose first TripDeparted falls in the range. */
  trips: number;
  complaints: number;
  per100Trips: number | null;
  /** Every UTC month of the range, oldest first: trips departed, complaints filed, and the rate. */
  months: { month: string; trips: number; complaints: number; per100Trips: number | null }[];
  /** Category × department × phase (and month), the combinations that occur. */
  cells: ComplaintRateCell[];
}

const MONTH = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM')`;
// Most complaints first, then bytewise by label, so the order is the same on every server; not recorded last.
const CELL_ORDER = `complaints DESC, category COLLATE "C", department COLLATE "C" NULLS LAST, array_position($3::text[], phase) NULLS LAST`;

/**
 * Complaints per 100 trips by category × department × phase, over [from, to) or per UTC month: complaints filed in
 * the range (or month) over trips departed in it. A trip is counted where it departed, a complaint where it was filed.
 */
export function complaintRates(pool: Pool, range: FeedbackRange, by: 'total' | 'month'): Promise<ComplaintRates> {
  return inSnapshot(pool, async (client) => {
    const values = [range.from, range.to];
    const trips = (await client.query<{ month: string; trips: number }>(
      `SELECT ${MONTH('departed_at')} AS month, count(*)::int AS trips FROM read_models.feedback_bookings
        WHERE departed_at >= $1 AND departed_at < $2 GROUP BY 1`,
      values,
    )).rows;
    const cells = (await client.query<{ month: string; category: string; department: string | null; phase: string | null; complaints: number }>(
      `SELECT ${MONTH('filed_at')} AS month, category, department, phase, count(*)::int AS complaints FROM read_models.feedback_complaints
        WHERE filed_at >= $1 AND filed_at < $2 GROUP BY 1, 2, 3, 4 ORDER BY 1, ${CELL_ORDER}`,
      [...values, TRIP_PHASES],
    )).rows;
    const tripsIn = new Map(trips.map((row) => [row.month, row.trips]));
    const allTrips = trips.reduce((sum, row) => sum + row.trips, 0);
    const complaintsIn = new Map<string, number>();
    for (const cell of cells) complaintsIn.set(cell.month, (complaintsIn.get(cell.month) ?? 0) + cell.complaints);
    const allComplaints = cells.reduce((sum, cell) => sum + cell.complaints, 0);
    const months = monthsOf(range).map((month) => {
      const [t, c] = [tripsIn.get(month) ?? 0, complaintsIn.get(month) ?? 0];
      return { month, trips: t, complaints: c, per100Trips: per100(c, t) };
    });
    const rateOf = (cell: Omit<ComplaintRateCell, 'trips' | 'per100Trips'>, t: number): ComplaintRateCell => ({ ...cell, trips: t, per100Trips: per100(cell.complaints, t) });
    return {
      from: range.from,
      to: range.to,
      by,
      trips: allTrips,
      complaints: allComplaints,
      per100Trips: per100(allComplaints, allTrips),
      months,
      cells: by === 'month' ? cells.map((cell) => rateOf(cell, tripsIn.get(cell.month) ?? 0)) : totalsOf(cells).map((cell) => rateOf(cell, allTrips)),
    };
  });
}

/** The monthly cells summed over the range, in the same order (most complaints first, then by labels). */
function totalsOf(cells: { category: string; department: string | null; phase: string | null; complaints: number }[]): Omit<ComplaintRateCell, 'trips' | 'per100Trips'>[] {
  const sums = new Map<string, Omit<ComplaintRateCell, 'trips' | 'per100Trips'>>();
  for (const { category, department, phase, complaints } of cells) {
    const key = JSON.stringify([category, department, phase]);
    const sum = sums.get(key) ?? { month: null, category, department, phase, complaints: 0 };
    sums.set(key, { ...sum, complaints: sum.complaints + complaints });
  }
  const bytes = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? 1 : b === null ? -1 : Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const phaseRank = (phase: string | null): number => (phase === null ? TRIP_PHASES.length : (TRIP_PHASES as readonly string[]).indexOf(phase));
  return [...sums.values()].sort((a, b) => b.complaints - a.complaints || bytes(a.category, b.category) || bytes(a.department, b.department) || phaseRank(a.phase) - phaseRank(b.phase));
}

/** The deadlines of issue 19, as the touchpoint schedule's defaults set them: acknowledge within 1 hour, resolve within 24. */
export const COMPLAINT_DEADLINES = { acknowledgeMinutes: 60, resolveMinutes: 24 * 60 } as const;

export const DEADLINE_DIMENSIONS = ['department', 'phase', 'category', 'severity', 'month'] as const;
export type DeadlineDimension = (typeof DEADLINE_DIMENSIONS)[number];

export interface DeadlineFigures {
  complaints: number;
  /** Answered (acknowledged, or resolved without an acknowledgement) before `to`. */
  acknowledged: number;
  /** Median minutes from filing to that first answer, of those answered; 1 decimal; null when none. */
  acknowledgeMedianMinutes: number | null;
  /** Answered more than 1 hour after filing, or not answered by `to` when the hour had passed by then. */
  acknowledgeBreaches: number;
  /** Not answered by `to`, the hour not yet passed. */
  acknowledgePending: number;
  resolved: number;
  resolveMedianMinutes: number | null;
  resolveBreaches: number;
  resolvePending: number;
}

export interface ComplaintDeadlines {
  from: string;
  to: string;
  by: DeadlineDimension;
  deadlines: typeof COMPLAINT_DEADLINES;
  overall: DeadlineFigures;
  groups: ({ group: string | null } & DeadlineFigures)[];
}

const DEADLINE_GROUP: Record<DeadlineDimension, string> = { department: 'department', phase: 'phase', category: 'category', severity: 'severity', month: MONTH('filed_at') };
// Only what happened before `to` counts: the figures are as of `to`, as "open" is in GET /analytics/feedback.
const DEADLINE_FIGURES = `count(*)::int AS complaints,
  count(answered)::int AS acknowledged,
  round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered - filed_at)) / 60)::numeric, 1)::float8 AS "acknowledgeMedianMinutes",
  count(*) FILTER (WHERE coalesce(answered, $2::timestamptz) > filed_at + make_interval(mins => $3))::int AS "acknowledgeBreaches",
  count(*) FILTER (WHERE answered IS NULL AND $2::timestamptz <= filed_at + make_interval(mins => $3))::int AS "acknowledgePending",
  count(resolved)::int AS resolved,
  round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved - filed_at)) / 60)::numeric, 1)::float8 AS "resolveMedianMinutes",
  count(*) FILTER (WHERE coalesce(resolved, $2::timestamptz) > filed_at + make_interval(mins => $4))::int AS "resolveBreaches",
  count(*) FILTER (WHERE resolved IS NULL AND $2::timestamptz <= filed_at + make_interval(mins => $4))::int AS "resolvePending"`;

/**
 * Time to acknowledge and to resolve the complaints filed in [from, to), against the deadlines, breaches counted,
 * overall and per group. The first answer is the acknowledgement, or the resolution when it came without one.
 */
export function complaintDeadlines(pool: Pool, range: FeedbackRange, by: DeadlineDimension): Promise<ComplaintDeadlines> {
  return inSnapshot(pool, async (client) => {
    const complaints = `SELECT ${DEADLINE_GROUP[by]} AS grp, filed_at,
        least(CASE WHEN acknowledged_at < $2 THEN acknowledged_at END, CASE WHEN resolved_at < $2 THEN resolved_at END) AS answered,
        CASE WHEN resolved_at < $2 THEN resolved_at END AS resolved
      FROM read_models.feedback_complaints WHERE filed_at >= $1 AND filed_at < $2`;
    const values = [range.from, range.to, COMPLAINT_DEADLINES.acknowledgeMinutes, COMPLAINT_DEADLINES.resolveMinutes];
    const overall = (await client.query<DeadlineFigures>(`SELECT ${DEADLINE_FIGURES} FROM (${complaints}) c`, values)).rows[0];
    const order = by === 'month' ? 'grp' : by === 'phase' ? 'array_position($5::text[], grp) NULLS LAST' : by === 'severity' ? 'array_position($5::text[], grp), grp COLLATE "C"' : 'complaints DESC, grp COLLATE "C" NULLS LAST';
    const groups = (await client.query<{ group: string | null } & DeadlineFigures>(
      `SELECT grp AS "group", ${DEADLINE_FIGURES} FROM (${complaints}) c GROUP BY grp ORDER BY ${order}`,
      // $5 only where the order names it: PostgreSQL cannot type a parameter nothing uses.
      by === 'phase' || by === 'severity' ? [...values, by === 'phase' ? TRIP_PHASES : COMPLAINT_SEVERITIES] : values,
    )).rows;
    return { from: range.from, to: range.to, by, deadlines: COMPLAINT_DEADLINES, overall, groups };
  });
}
