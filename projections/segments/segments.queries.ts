import type { Pool } from 'pg';
import { decodeCursor, encodeCursor } from '../../libs/projection-engine/src';
import { segmentCatalog, type SegmentConfig, type SegmentDefinition } from '../../libs/segments/src';

export interface LatestEvaluation {
  evaluationId: number;
  asOf: string;
  trigger: string;
  configVersion: string;
  finishedAt: string;
}

const latestEvaluation = async (pool: Pool): Promise<LatestEvaluation | null> => {
  const { rows } = await pool.query(
    `SELECT evaluation_id, as_of, trigger, config_version, finished_at FROM read_models.segment_evaluations ORDER BY evaluation_id DESC LIMIT 1`,
  );
  const row = rows[0];
  return row
    ? { evaluationId: Number(row.evaluation_id), asOf: row.as_of.toISOString(), trigger: row.trigger, configVersion: row.config_version, finishedAt: row.finished_at.toISOString() }
    : null;
};

export interface EvaluationFailure {
  reason: string;
  asOf: string;
  trigger: string;
  configVersion: string;
  firstFailedAt: string;
  lastFailedAt: string;
  attempts: number;
}

/** The latest failure, while no evaluation has succeeded since. */
const currentFailure = async (pool: Pool): Promise<EvaluationFailure | null> => {
  const { rows } = await pool.query(
    `SELECT reason, as_of, trigger, config_version, first_failed_at, last_failed_at, attempts FROM read_models.segment_evaluation_failures
      WHERE last_failed_at > coalesce((SELECT max(finished_at) FROM read_models.segment_evaluations), '-infinity')
      ORDER BY last_failed_at DESC LIMIT 1`,
  );
  const row = rows[0];
  return row
    ? {
        reason: row.reason,
        asOf: row.as_of.toISOString(),
        trigger: row.trigger,
        configVersion: row.config_version,
        firstFailedAt: row.first_failed_at.toISOString(),
        lastFailedAt: row.last_failed_at.toISOString(),
        attempts: row.attempts,
      }
    : null;
};

/**
 * The configured definitions with their current member counts, plus interest tags customers declared; the latest
 * evaluation, and a failure since (the field is there only while one is current, so answers without a failure stay
 * what they were before failures were recorded).
 */
export async function listSegments(
  pool: Pool,
  config: SegmentConfig,
): Promise<{ evaluation: LatestEvaluation | null; failure?: EvaluationFailure; segments: (SegmentDefinition & { members: number })[] }> {
  const { rows } = await pool.query<{ segment: string; members: string }>(
    'SELECT segment, count(*) AS members FROM read_models.segment_membership GROUP BY segment',
  );
  const counts = new Map(rows.map((row) => [row.segment, Number(row.members)]));
  const catalog = segmentCatalog(config);
  const known = new Set(catalog.map((definition) => definition.segment));
  const declared = [...counts.keys()]
    .filter((segment) => !known.has(segment) && segment.startsWith('interest:'))
    .sort()
    .map((segment) => ({ segment, family: 'interest', name: segment.slice('interest:'.length), description: 'declared in the profile' }));
  const failure = await currentFailure(pool);
  return {
    evaluation: await latestEvaluation(pool),
    ...(failure ? { failure } : {}),
    segments: [...catalog, ...declared].map((definition) => ({ ...definition, members: counts.get(definition.segment) ?? 0 })),
  };
}

export const MEMBER_SORTS = ['customerId', 'revenue', 'since'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];

export interface Member {
  customerId: string;
  since: string;
  reason: string;
  /** Revenue in minor units of `currency` (the base currency), from the latest evaluation. */
  revenue: number;
  currency: string | null;
}

export interface MembersQuery {
  segment: string;
  /** Membership at this past instant, from the history; default the current membership. */
  asOf?: string;
  sort: MemberSort;
  descending: boolean;
  limit: number;
  /** Opaque: the nextCursor of the previous page. */
  cursor?: string;
}

const SORT_COLUMN: Record<MemberSort, string> = { customerId: 'customer_id', revenue: 'revenue', since: 'since' };

/**
 * One page of a segment's members, keyset-paged on (sort value, customer id) in the same direction, so pages stay
 * stable while evaluations add or remove members elsewhere in the list.
 */
export async function segmentMembers(pool: Pool, query: MembersQuery): Promise<{ items: Member[]; nextCursor: string | null }> {
  const column = SORT_COLUMN[query.sort];
  const direction = query.descending ? 'DESC' : 'ASC';
  const after = query.cursor ? decodeCursor(query.cursor, query.sort === 'revenue' ? 'number' : query.sort === 'since' ? 'instant' : 'string') : null;
  const stays = query.asOf
    ? `SELECT customer_id, entered_at AS since, reason FROM read_models.segment_membership_history
        WHERE segment = $1 AND entered_at <= $2 AND (left_at IS NULL OR left_at > $2)`
    : `SELECT customer_id, since, reason FROM read_models.segment_membership WHERE segment = $1 AND $2::timestamptz IS NULL`;
  const { rows } = await pool.query(
    `WITH latest AS (SELECT max(evaluation_id) AS id FROM read_models.segment_scores),
          members AS (
            SELECT m.customer_id, m.since, m.reason, coalesce(s.revenue, 0) AS revenue, s.currency
              FROM (${stays}) m
              LEFT JOIN read_models.segment_scores s ON s.evaluation_id = (SELECT id FROM latest) AND s.customer_id = m.customer_id)
     SELECT * FROM members
      WHERE $3::text IS NULL OR (${column}, customer_id) ${query.descending ? '<' : '>'} ($4::${query.sort === 'customerId' ? 'text' : query.sort === 'since' ? 'timestamptz' : 'bigint'}, $3)
      ORDER BY ${column} ${direction}, customer_id ${direction}
      LIMIT $5`,
    [query.segment, query.asOf ?? null, after?.[1] ?? null, after?.[0] ?? null, query.limit + 1],
  );
  const items: Member[] = rows.slice(0, query.limit).map((row) => ({
    customerId: row.customer_id,
    since: row.since.toISOString(),
    reason: row.reason,
    revenue: Number(row.revenue),
    currency: row.currency,
  }));
  const last = items[items.length - 1];
  const lastValue = last && (query.sort === 'customerId' ? last.customerId : query.sort === 'since' ? last.since : last.revenue);
  return {
    items,
    nextCursor: rows.length > query.limit ? encodeCursor(lastValue, last.customerId) : null,
  };
}

export interface CustomerSegments {
  customerId: string;
  evaluation: LatestEvaluation | null;
  current: { segment: string; since: string; reason: string }[];
  history: { segment: string; enteredAt: string; leftAt: string | null; reason: string }[];
  /** From the latest evaluation; money in minor units of `currency`. Null before the first evaluation. */
  discount: { percent: number; revenue: number; nextPercent: number | null; spendToNext: number | null; currency: string } | null;
  scores: { r: number | null; f: number | null; m: number | null; abcClass: string | null; recencyDays: number | null; trips: number; bookings: number; revenue: number } | null;
}

/** Null when the segment facts have never seen the customer. */
export async function customerSegments(pool: Pool, customerId: string): Promise<CustomerSegments | null> {
  const known = await pool.query('SELECT 1 FROM read_models.segment_facts_customers WHERE customer_id = $1', [customerId]);
  if (!known.rowCount) return null;
  const [history, scores] = await Promise.all([
    pool.query('SELECT segment, entered_at, left_at, reason FROM read_models.segment_membership_history WHERE customer_id = $1 ORDER BY entered_at, segment, history_id', [customerId]),
    pool.query(
      `SELECT * FROM read_models.segment_scores WHERE customer_id = $1 AND evaluation_id = (SELECT max(evaluation_id) FROM read_models.segment_scores)`,
      [customerId],
    ),
  ]);
  const score = scores.rows[0];
  const nullable = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  return {
    customerId,
    evaluation: await latestEvaluation(pool),
    current: history.rows.filter((row) => !row.left_at).map((row) => ({ segment: row.segment, since: row.entered_at.toISOString(), reason: row.reason })),
    history: history.rows.map((row) => ({ segment: row.segment, enteredAt: row.entered_at.toISOString(), leftAt: row.left_at?.toISOString() ?? null, reason: row.reason })),
    discount: score
      ? {
          percent: Number(score.discount_percent),
          revenue: Number(score.discount_revenue),
          nextPercent: nullable(score.next_discount_percent),
          spendToNext: nullable(score.spend_to_next_discount),
          currency: score.currency,
        }
      : null,
    scores: score
      ? {
          r: score.r,
          f: score.f,
          m: score.m,
          abcClass: score.abc_class,
          recencyDays: score.recency_days,
          trips: score.trips,
          bookings: score.bookings,
          revenue: Number(score.revenue),
        }
      : null,
  };
}

export interface SegmentChange {
  position: number;
  evaluationId: number;
  at: string;
  customerId: string;
  segment: string;
  change: 'entered' | 'left';
  reason: string;
}

/** The change feed after a cursor (a position; 0 from the start), in order. */
export async function segmentChanges(pool: Pool, after: number, limit: number): Promise<{ changes: SegmentChange[]; nextCursor: number }> {
  const { rows } = await pool.query(
    'SELECT position, evaluation_id, at, customer_id, segment, change, reason FROM read_models.segment_changes WHERE position > $1 ORDER BY position LIMIT $2',
    [after, limit],
  );
  const changes = rows.map((row) => ({
    position: Number(row.position),
    evaluationId: Number(row.evaluation_id),
    at: row.at.toISOString(),
    customerId: row.customer_id,
    segment: row.segment,
    change: row.change,
    reason: row.reason,
  }));
  return { changes, nextCursor: changes.length ? changes[changes.length - 1].position : after };
}

/** Booking currencies (of amounts and of amount changes) that the segment config has no exchange rate for. */
export async function missingCurrencyRates(pool: Pool, config: SegmentConfig): Promise<string[]> {
  const { rows } = await pool.query<{ currency: string }>(
    `SELECT currency FROM read_models.segment_facts_bookings
      UNION SELECT jsonb_array_elements(amount_changes)->>'currency' FROM read_models.segment_facts_bookings
      ORDER BY currency`,
  );
  return rows.map((row) => row.currency).filter((currency) => config.currency.rates[currency] === undefined);
}
