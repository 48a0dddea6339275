import type { Pool } from 'pg';
import type { ArmCounts } from '../../libs/campaigns/src/uplift';

export interface NpsCounts {
  answered: number;
  npsSum: number;
  promoters: number;
  detractors: number;
}

export interface HoldoutCounts {
  treatment: ArmCounts & { nps: NpsCounts };
  control: ArmCounts & { nps: NpsCounts };
}

/*
 * A touchpoint kind's held-out rows against the rest, per touchpoint (the unit the hash assigns):
 * - treatment: rows of the kind that went to the work queue: open, done, or skipped by a person (an outcome): intent
 *   to treat, so a touchpoint nobody made still counts as treated; control: rows held out;
 * - rows skipped or cancelled by the schedule itself (no consent, booked too late, trip cancelled) are in neither:
 *   the hash never got to choose for them (a held-out one is picked among the open ones only);
 * - only rows whose window (`months` calendar months from the due time) ended by asOf, so every row had its full time;
 * - a conversion: a booking by the customer after the due time, within the window, not cancelled by asOf
 *   (churn_facts_bookings); revenue: those bookings' amounts by currency;
 * - the next NPS: the customer's first survey answer after the due time, within the window (churn_facts_surveys).
 */
const ROWS = `
WITH measured AS (
  SELECT t.customer_id, t.due_at, t.due_at + make_interval(months => $2::int) AS window_ends,
         CASE WHEN t.status = 'held-out' THEN 'control' ELSE 'treatment' END AS arm
    FROM read_models.touchpoints t
   WHERE t.kind = $1 AND t.due_at + make_interval(months => $2::int) <= $3::timestamptz
     AND (t.status IN ('held-out', 'open', 'done') OR (t.status = 'skipped' AND t.outcome IS NOT NULL))
)`;

const BOOKED_IN_WINDOW = `b.customer_id = m.customer_id AND b.booked_at > m.due_at AND b.booked_at <= m.window_ends
  AND (b.cancelled_at IS NULL OR b.cancelled_at > $3::timestamptz)`;

export async function touchpointHoldoutCounts(pool: Pool, kind: string, months: number, asOf: string): Promise<HoldoutCounts> {
  const params = [kind, months, asOf];
  const [arms, revenue] = await Promise.all([
    pool.query<{ arm: 'treatment' | 'control'; touchpoints: number; conversions: number; answered: number; nps_sum: number; promoters: number; detractors: number }>(
      `${ROWS}
       SELECT m.arm, count(*)::int AS touchpoints,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM read_models.churn_facts_bookings b WHERE ${BOOKED_IN_WINDOW}))::int AS conversions,
              count(n.nps)::int AS answered, coalesce(sum(n.nps), 0)::int AS nps_sum,
              count(*) FILTER (WHERE n.nps >= 9)::int AS promoters, count(*) FILTER (WHERE n.nps <= 6)::int AS detractors
         FROM measured m
         LEFT JOIN LATERAL (
           SELECT s.nps FROM read_models.churn_facts_surveys s
            WHERE s.customer_id = m.customer_id AND s.answered_at > m.due_at AND s.answered_at <= m.window_ends
            ORDER BY s.answered_at, s.survey_id LIMIT 1
         ) n ON true
        GROUP BY m.arm`,
      params,
    ),
    pool.query<{ arm: 'treatment' | 'control'; currency: string; total: string }>(
      `${ROWS}
       SELECT m.arm, b.currency, sum(b.amount_value)::text AS total
         FROM measured m JOIN read_models.churn_facts_bookings b ON ${BOOKED_IN_WINDOW}
        GROUP BY m.arm, b.currency`,
      params,
    ),
  ]);
  const arm = (name: 'treatment' | 'control'): HoldoutCounts['treatment'] => {
    const row = arms.rows.find((r) => r.arm === name);
    return {
      customers: row?.touchpoints ?? 0,
      conversions: row?.conversions ?? 0,
      revenue: Object.fromEntries(revenue.rows.filter((r) => r.arm === name).map((r) => [r.currency, Number(r.total)])),
      nps: { answered: row?.answered ?? 0, npsSum: row?.nps_sum ?? 0, promoters: row?.promoters ?? 0, detractors: row?.detractors ?? 0 },
    };
  };
  return { treatment: arm('treatment'), control: arm('control') };
}
