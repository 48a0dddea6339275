import type { Pool } from 'pg';
import { BadCursor, decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';
import { monthsOf, npsOf, type FeedbackRange, type NpsFigures } from './feedback.queries';
import { npsInterval, type NpsInterval } from './nps-interval';

/** What GET /analytics/feedback/nps groups answers by (issue 19). Channel and agent are the booking's (docs/read-models.md). */
export const NPS_DIMENSIONS = ['month', 'destination', 'productType', 'channel', 'agent'] as const;
export type NpsDimension = (typeof NPS_DIMENSIONS)[number];

export type NpsGroup = { group: string | null } & NpsFigures & NpsInterval;

export interface NpsBreakdown {
  from: string;
  to: string;
  by: NpsDimension;
  groups: NpsGroup[];
}

// A destination reads as 'CC/City': the country code is always two letters, so the city is everything after the '/'.
const GROUP_SQL: Record<NpsDimension, string> = {
  month: `to_char(answered_at AT TIME ZONE 'UTC', 'YYYY-MM')`,
  destination: `CASE WHEN destination_country IS NULL THEN NULL ELSE destination_country || '/' || destination_city END`,
  productType: 'product_type',
  channel: 'channel',
  agent: 'agent_id',
};
const COUNTS = `count(*)::int AS answers, count(*) FILTER (WHERE nps >= 9)::int AS promoters,
  count(*) FILTER (WHERE nps BETWEEN 7 AND 8)::int AS passives, count(*) FILTER (WHERE nps <= 6)::int AS detractors`;
type Counts = { answers: number; promoters: number; passives: number; detractors: number };

const figures = (group: string | null, { answers, promoters, passives, detractors }: Counts): NpsGroup => ({
  group,
  answers,
  promoters,
  passives,
  detractors,
  nps: npsOf(promoters, detractors, answers),
  ...npsInterval(promoters, detractors, answers),
});

/**
 * NPS of the answers given in [from, to) per group, with the number of answers and the 95 % interval (nps-interval.ts).
 * Months: every UTC month of the range, empty ones with null figures, oldest first. Other dimensions: every group
 * that has answers, most answers first (then by name, bytewise), null (not known) last among equals.
 */
export async function npsBreakdown(pool: Pool, range: FeedbackRange, by: NpsDimension): Promise<NpsBreakdown> {
  const { rows } = await pool.query<Counts & { grp: string | null }>(
    `SELECT grp, ${COUNTS} FROM (SELECT ${GROUP_SQL[by]} AS grp, nps FROM read_models.feedback_surveys WHERE answered_at >= $1 AND answered_at < $2) s
      GROUP BY grp ORDER BY answers DESC, grp COLLATE "C" NULLS LAST`,
    [range.from, range.to],
  );
  const none: Counts = { answers: 0, promoters: 0, passives: 0, detractors: 0 };
  const byGroup = new Map(rows.map((row) => [row.grp, row]));
  const groups = by === 'month' ? monthsOf(range).map((month) => figures(month, byGroup.get(month) ?? none)) : rows.map((row) => figures(row.grp, row));
  return { from: range.from, to: range.to, by, groups };
}

/** One answer at least `minDrop` points below the same customer's answer before it. */
export interface NpsDrop {
  customerId: string;
  previousSurveyId: string;
  previousAnsweredAt: string;
  previousNps: number;
  surveyId: string;
  answeredAt: string;
  nps: number;
  /** previousNps − nps. */
  drop: number;
  /** Of the later answer: what it points at, and the booking it is about (null when not recorded or not known). */
  department: string | null;
  phase: string | null;
  country: string | null;
  city: string | null;
  productType: string | null;
}

export interface NpsDropsQuery extends FeedbackRange {
  minDrop: number;
  limit: number;
  cursor?: string;
}

/**
 * Every answer given in [from, to) that is `minDrop` or more points below the same customer's previous answer (the
 * one just before it, which may be before `from`; answers at the same instant are ordered by survey id). One row per
 * fall, by the instant of the later answer, then customer and survey id; keyset-paged.
 */
export async function npsDrops(pool: Pool, query: NpsDropsQuery): Promise<{ items: NpsDrop[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor, 'instant') : null;
  const [customerAfter, surveyAfter] = after ? keyOf(after[1]) : [null, null];
  const { rows } = await pool.query(
    `WITH answers AS (
       SELECT customer_id, survey_id, answered_at, nps, department, phase, destination_country, destination_city, product_type,
              lag(survey_id) OVER w AS previous_survey_id, lag(answered_at) OVER w AS previous_answered_at, lag(nps) OVER w AS previous_nps
         FROM read_models.feedback_surveys WHERE answered_at < $2
       WINDOW w AS (PARTITION BY customer_id ORDER BY answered_at, survey_id COLLATE "C"))
     SELECT customer_id AS "customerId", previous_survey_id AS "previousSurveyId", ${isoInstantSql('previous_answered_at')} AS "previousAnsweredAt",
            previous_nps AS "previousNps", survey_id AS "surveyId", ${isoInstantSql('answered_at')} AS "answeredAt", nps, previous_nps - nps AS drop,
            department, phase, destination_country AS country, destination_city AS city, product_type AS "productType"
       FROM answers
      WHERE answered_at >= $1 AND previous_nps - nps >= $3
        AND ($4::timestamptz IS NULL OR (answered_at, customer_id COLLATE "C", survey_id COLLATE "C") > ($4::timestamptz, $5 COLLATE "C", $6 COLLATE "C"))
      ORDER BY answered_at, customer_id COLLATE "C", survey_id COLLATE "C" LIMIT $7`,
    [query.from, query.to, query.minDrop, after?.[0] ?? null, customerAfter, surveyAfter, query.limit + 1],
  );
  const items = (rows as NpsDrop[]).slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(last.answeredAt, JSON.stringify([last.customerId, last.surveyId])) : null };
}

/** The (customer id, survey id) a cursor carries as its second part; a tampered one is the same 400 as any bad cursor. */
function keyOf(key: string): [string, string] {
  try {
    const value: unknown = JSON.parse(key);
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return value as [string, string];
  } catch {
    // falls through
  }
  throw new BadCursor('cursor: must be the nextCursor of a previous page');
}
