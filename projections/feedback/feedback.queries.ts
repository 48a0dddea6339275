import type { Pool, PoolClient } from 'pg';
import { COMPLAINT_SEVERITIES } from '../../libs/domain/src/customer.events';
import { inClientTransaction, withClient } from '../../libs/postgres/src';

/** Net Promoter Score figures of a set of answers: promoters answered 9-10, passives 7-8, detractors 0-6. */
export interface NpsFigures {
  answers: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** % promoters − % detractors, rounded to 1 decimal (half away from zero); null without answers. */
  nps: number | null;
}

export interface FeedbackDestination {
  /** ISO 3166-1 alpha-2. */
  country: string;
  city: string;
}

export interface ComplaintCount {
  count: number;
  /** Of those, the ones not resolved by `to`. */
  open: number;
}

export interface FeedbackReport {
  from: string;
  to: string;
  nps: {
    overall: NpsFigures;
    /** Every UTC month from `from` to `to`, empty ones included (nps null). */
    byMonth: ({ month: string } & NpsFigures)[];
    /** The largest 20 by answers; null: no booking named, or one not known. */
    byDestination: ({ destination: FeedbackDestination | null } & NpsFigures)[];
    byProductType: ({ productType: string | null } & NpsFigures)[];
  };
  complaints: {
    /** Complaints filed per UTC month, category and severity (only the combinations that occur). */
    byMonth: { month: string; category: string; severity: string; count: number }[];
    byCategory: ({ category: string } & ComplaintCount)[];
    /** Every severity, low to critical, zeros included. */
    bySeverity: ({ severity: string } & ComplaintCount)[];
  };
}

/** byDestination and byProductType: the console charts the largest groups only. */
export const FEEDBACK_TOP_GROUPS = 20;

/** [from, to): the answer's range; months are UTC calendar months. */
export interface FeedbackRange {
  from: string;
  to: string;
}

export function npsOf(promoters: number, detractors: number, answers: number): number | null {
  if (answers === 0) return null;
  // In tenths, from integers: a true half (6.25) is exact in floating point, so it rounds away from zero as written.
  const tenths = (1000 * (promoters - detractors)) / answers;
  const rounded = Math.round(Math.abs(tenths));
  return rounded === 0 ? 0 : (Math.sign(tenths) * rounded) / 10;
}

const figures = (row: { answers: number; promoters: number; passives: number; detractors: number }): NpsFigures => ({
  answers: row.answers,
  promoters: row.promoters,
  passives: row.passives,
  detractors: row.detractors,
  nps: npsOf(row.promoters, row.detractors, row.answers),
});

/** 'YYYY-MM' of every UTC month that [from, to) touches. */
export function monthsOf(range: FeedbackRange): string[] {
  const monthIndex = (at: Date): number => at.getUTCFullYear() * 12 + at.getUTCMonth();
  const months: string[] = [];
  for (let i = monthIndex(new Date(range.from)); i <= monthIndex(new Date(Date.parse(range.to) - 1)); i++) {
    months.push(`${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`);
  }
  return months;
}

const COUNTS = `count(*)::int AS answers, count(*) FILTER (WHERE nps >= 9)::int AS promoters,
  count(*) FILTER (WHERE nps BETWEEN 7 AND 8)::int AS passives, count(*) FILTER (WHERE nps <= 6)::int AS detractors`;
const SURVEYS = `FROM read_models.feedback_surveys WHERE answered_at >= $1 AND answered_at < $2`;
const COMPLAINTS = `FROM read_models.feedback_complaints WHERE filed_at >= $1 AND filed_at < $2`;
// Open as of `to`: not resolved before it.
const COMPLAINT_COUNTS = `count(*)::int AS count, count(*) FILTER (WHERE resolved_at IS NULL OR resolved_at >= $2)::int AS open`;
// Labels are ordered by their bytes (COLLATE "C"), so the order is the same on every server whatever its locale.
const QUERIES = {
  npsByMonth: `SELECT to_char(answered_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, ${COUNTS} ${SURVEYS} GROUP BY 1`,
  npsByDestination: `SELECT destination_country AS country, destination_city AS city, ${COUNTS} ${SURVEYS} GROUP BY 1, 2
    ORDER BY answers DESC, destination_country COLLATE "C" NULLS LAST, destination_city COLLATE "C" NULLS LAST LIMIT ${FEEDBACK_TOP_GROUPS}`,
  npsByProductType: `SELECT product_type, ${COUNTS} ${SURVEYS} GROUP BY 1 ORDER BY answers DESC, product_type COLLATE "C" NULLS LAST LIMIT ${FEEDBACK_TOP_GROUPS}`,
  complaintsByMonth: `SELECT to_char(filed_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, category, severity, count(*)::int AS count ${COMPLAINTS}
    GROUP BY 1, 2, 3 ORDER BY 1, category COLLATE "C", array_position($3::text[], severity), severity COLLATE "C"`,
  complaintsByCategory: `SELECT category, ${COMPLAINT_COUNTS} ${COMPLAINTS} GROUP BY 1 ORDER BY count DESC, category COLLATE "C"`,
  complaintsBySeverity: `SELECT severity, ${COMPLAINT_COUNTS} ${COMPLAINTS} GROUP BY 1`,
};

type Counts = { answers: number; promoters: number; passives: number; detractors: number };

/**
 * The feedback page's figures over [from, to): NPS overall, per UTC month, per destination and product type of the
 * booking answered about, and complaints filed per month, category and severity. One snapshot (a read-only
 * REPEATABLE READ transaction, which takes no transaction id and so holds back no log reader), so the parts agree.
 */
export function feedbackReport(pool: Pool, range: FeedbackRange): Promise<FeedbackReport> {
  return withClient(pool, (client) => inClientTransaction(client, (tx) => report(tx, range), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
}

async function report(client: PoolClient, range: FeedbackRange): Promise<FeedbackReport> {
  const values = [range.from, range.to];
  const rows = async <T>(sql: string, extra: unknown[] = []): Promise<T[]> => (await client.query({ text: sql, values: [...values, ...extra] })).rows as T[];
  const npsByMonth = await rows<Counts & { month: string }>(QUERIES.npsByMonth);
  const npsByDestination = await rows<Counts & { country: string | null; city: string | null }>(QUERIES.npsByDestination);
  const npsByProductType = await rows<Counts & { product_type: string | null }>(QUERIES.npsByProductType);
  const complaintsByMonth = await rows<{ month: string; category: string; severity: string; count: number }>(QUERIES.complaintsByMonth, [COMPLAINT_SEVERITIES]);
  const complaintsByCategory = await rows<{ category: string } & ComplaintCount>(QUERIES.complaintsByCategory);
  const complaintsBySeverity = await rows<{ severity: string } & ComplaintCount>(QUERIES.complaintsBySeverity);

  const months = new Map(npsByMonth.map((row) => [row.month, row]));
  const none: Counts = { answers: 0, promoters: 0, passives: 0, detractors: 0 };
  const overall = npsByMonth.reduce<Counts>(
    (sum, row) => ({ answers: sum.answers + row.answers, promoters: sum.promoters + row.promoters, passives: sum.passives + row.passives, detractors: sum.detractors + row.detractors }),
    none,
  );
  const severities = new Map(complaintsBySeverity.map((row) => [row.severity, row]));
  // The domain's four in their order; any other a log written before the rule could hold, after them.
  const severityOrder = [...COMPLAINT_SEVERITIES, ...[...severities.keys()].filter((s) => !(COMPLAINT_SEVERITIES as readonly string[]).includes(s)).sort()];
  return {
    from: range.from,
    to: range.to,
    nps: {
      overall: figures(overall),
      byMonth: monthsOf(range).map((month) => ({ month, ...figures(months.get(month) ?? none) })),
      byDestination: npsByDestination.map((row) => ({ destination: row.country === null ? null : { country: row.country, city: row.city ?? '' }, ...figures(row) })),
      byProductType: npsByProductType.map((row) => ({ productType: row.product_type, ...figures(row) })),
    },
    complaints: {
      byMonth: complaintsByMonth,
      byCategory: complaintsByCategory.map(({ category, count, open }) => ({ category, count, open })),
      bySeverity: severityOrder.map((severity) => ({ severity, count: severities.get(severity)?.count ?? 0, open: severities.get(severity)?.open ?? 0 })),
    },
  };
}
