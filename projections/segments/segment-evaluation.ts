import { isoInstantSql } from '../../libs/projection-engine/src';
import type { Pool, PoolClient } from 'pg';
import { copyInto, copyLines, inClientTransaction, withClient } from '../../libs/postgres/src';
import { evaluateSegments, type BookingFacts, type CustomerFacts, type Membership, type SegmentConfig, type SegmentEvaluation } from '../../libs/segments/src';

/** Why an evaluation ran; a re-evaluation keeps each evaluation's own trigger, so its rows come back identical. */
export type EvaluationTrigger = 'events' | 'schedule' | 'on-demand';

export interface EvaluationSummary {
  /** Null when not recorded. */
  evaluationId: number | null;
  asOf: string;
  /**
   * History only moves forward: an evaluation as of an instant before the latest recorded one is computed and
   * reported, but not written (read past membership with ?asOf= instead).
   */
  recorded: boolean;
  trigger: EvaluationTrigger;
  configVersion: string;
  factsPosition: number;
  customers: number;
  memberships: number;
  entered: number;
  left: number;
  /** Members per segment. */
  segments: Record<string, number>;
  /** Customers per R, F and M score (customers with a completed trip) and per ABC class. */
  scores: { r: Record<string, number>; f: Record<string, number>; m: Record<string, number>; abc: Record<string, number> };
  durationMs: number;
}

const LOCK = `hashtextextended('segment_evaluation', 42)`;


/** Every customer's facts in one pass over each table (the evaluation needs them all: quintiles and ABC are relative). */
async function loadFacts(client: PoolClient): Promise<CustomerFacts[]> {
  const customers = await client.query<[string, string, string[], CustomerFacts['tagChanges'], CustomerFacts['vipChanges']]>({
    text: `SELECT customer_id, ${isoInstantSql('registered_at')}, declared_tags, tag_changes, vip_changes FROM read_models.segment_facts_customers`,
    rowMode: 'array',
  });
  const byId = new Map<string, CustomerFacts>();
  for (const [customerId, registeredAt, declaredTags, tagChanges, vipChanges] of customers.rows) {
    byId.set(customerId, { customerId, registeredAt, declaredTags, tagChanges, vipChanges, bookings: [] });
  }
  const bookings = await client.query<[string, string, string, string, string, string, BookingFacts['amountChanges'], number, string, string, string, string | null, string | null]>({
    text: `SELECT customer_id, booking_id, ${isoInstantSql('booked_at')}, departure_date::text, amount_value::text, currency, amount_changes, travellers, product_type,
                  destination_country, channel, ${isoInstantSql('returned_at')}, ${isoInstantSql('cancelled_at')}
             FROM read_models.segment_facts_bookings`,
    rowMode: 'array',
  });
  for (const [customerId, bookingId, bookedAt, departureDate, amount, currency, amountChanges, travellers, productType, destinationCountry, channel, returnedAt, cancelledAt] of bookings.rows) {
    byId.get(customerId)?.bookings.push({
      bookingId,
      bookedAt,
      departureDate,
      amountValue: Number(amount),
      currency,
      amountChanges,
      travellers,
      productType,
      destinationCountry,
      channel,
      returnedAt: returnedAt ?? undefined,
      cancelledAt: cancelledAt ?? undefined,
    });
  }
  return [...byId.values()];
}

const count = (values: (string | number | null)[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) if (value !== null) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Change {
  customerId: string;
  segment: string;
  change: 'entered' | 'left';
  reason: string;
}

/**
 * The stays that end and begin, and the feed rows in their stable order: by customer, exits before entries, then by
 * segment. One walk over both lists sorted by customer and segment (the evaluation's memberships already are):
 * at 600,000 memberships this is a fraction of the cost of hashing every pair into a set and sorting the changes.
 */
function diff(current: [string, string][], next: Membership[]): { entering: Membership[]; leaving: { customerId: string; segment: string }[]; changes: Change[] } {
  current.sort(([c1, s1], [c2, s2]) => compare(c1, c2) || compare(s1, s2));
  const entering: Membership[] = [];
  const leaving: { customerId: string; segment: string }[] = [];
  const changes: Change[] = [];
  let i = 0;
  let j = 0;
  while (i < current.length || j < next.length) {
    const customerId = j >= next.length || (i < current.length && current[i][0] < next[j].customerId) ? current[i][0] : next[j].customerId;
    const entries: Change[] = [];
    while ((i < current.length && current[i][0] === customerId) || (j < next.length && next[j].customerId === customerId)) {
      const was = i < current.length && current[i][0] === customerId ? current[i][1] : undefined;
      const is = j < next.length && next[j].customerId === customerId ? next[j] : undefined;
      const order = was === undefined ? 1 : is === undefined ? -1 : compare(was, is.segment);
      if (order === 0) {
        i++;
        j++;
      } else if (order < 0) {
        leaving.push({ customerId, segment: was! });
        changes.push({ customerId, segment: was!, change: 'left', reason: 'no longer matches' });
        i++;
      } else {
        entering.push(is!);
        entries.push({ ...is!, change: 'entered' });
        j++;
      }
    }
    for (const entry of entries) changes.push(entry);
  }
  return { entering, leaving, changes };
}

/** Evaluations take turns: the lock is held from before the snapshot is taken until after the commit. */
const exclusively = <T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> =>
  withClient(pool, async (client) => {
    await client.query(`SELECT pg_advisory_lock(${LOCK})`);
    try {
      // One snapshot for the facts and the membership they are compared with.
      return await inClientTransaction(client, work, 'BEGIN ISOLATION LEVEL REPEATABLE READ');
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`).catch(() => undefined);
    }
  });

/**
 * Evaluates every family as of `asOf` and records the difference from the current membership: stays that end get
 * left_at, new stays a history row, and each entry and exit a change-feed row, in one transaction. Evaluations take
 * turns, so change positions commit in order and a feed reader never steps over one.
 */
export async function evaluateAndRecord(
  pool: Pool,
  config: SegmentConfig,
  options: { asOf: string; trigger: EvaluationTrigger; now?: () => Date },
): Promise<EvaluationSummary> {
  const now = options.now ?? (() => new Date());
  try {
    return await exclusively(pool, (client) => evaluateIn(client, config, options.asOf, options.trigger, now));
  } catch (error) {
    await recordFailure(pool, config, options.asOf, options.trigger, now(), error);
    throw error;
  }
}

/**
 * A failed evaluation stays visible (GET /segments) until one succeeds: one row per reason, so a schedule that retries
 * a lasting conflict (a booking currency without a rate) counts attempts instead of growing the table. Best effort:
 * when the database itself is the fault, there is nowhere to record it, and the caller's error says enough.
 */
const recordFailure = (pool: Pool, config: SegmentConfig, asOf: string, trigger: EvaluationTrigger, at: Date, error: unknown): Promise<unknown> =>
  pool
    .query(
      `INSERT INTO read_models.segment_evaluation_failures (reason, as_of, trigger, config_version, first_failed_at, last_failed_at, attempts)
       VALUES ($1, $2, $3, $4, $5, $5, 1)
       ON CONFLICT (reason) DO UPDATE SET as_of = $2, trigger = $3, config_version = $4, last_failed_at = $5,
         attempts = segment_evaluation_failures.attempts + 1`,
      [error instanceof Error ? error.message : String(error), asOf, trigger, config.version, at],
    )
    .catch(() => undefined);

/**
 * After a rebuild of segment_facts (or a change of rules): empties membership, history, feed and scores and runs
 * every recorded evaluation again, at the same instants and in the same order, in one transaction. With the same
 * facts and rules the rows come back identical, positions included.
 */
export function reevaluateAll(pool: Pool, config: SegmentConfig, progress: (done: number, total: number) => void = () => undefined): Promise<EvaluationSummary[]> {
  return exclusively(pool, async (client) => {
    const { rows } = await client.query<{ as_of: Date; trigger: EvaluationTrigger }>('SELECT as_of, trigger FROM read_models.segment_evaluations ORDER BY evaluation_id');
    await client.query(
      `TRUNCATE read_models.segment_scores, read_models.segment_changes, read_models.segment_membership_history, read_models.segment_evaluations RESTART IDENTITY`,
    );
    const summaries: EvaluationSummary[] = [];
    for (const row of rows) {
      summaries.push(await evaluateIn(client, config, row.as_of.toISOString(), row.trigger, () => new Date()));
      progress(summaries.length, rows.length);
    }
    return summaries;
  });
}

async function evaluateIn(client: PoolClient, config: SegmentConfig, asOf: string, trigger: EvaluationTrigger, now: () => Date): Promise<EvaluationSummary> {
  const startedAt = now();
  const position = await client.query<{ position: string }>(`SELECT max(position) AS position FROM read_models.projection_checkpoints WHERE name = 'segment_facts'`);
  const factsPosition = Number(position.rows[0]?.position ?? 0);
  const evaluation = evaluateSegments(await loadFacts(client), asOf, config);
  const latest = await client.query<{ as_of: Date | null }>('SELECT max(as_of) AS as_of FROM read_models.segment_evaluations');
  const recorded = !latest.rows[0].as_of || latest.rows[0].as_of.getTime() <= Date.parse(evaluation.asOf);
  const summary: EvaluationSummary = {
    evaluationId: null,
    asOf: evaluation.asOf,
    recorded,
    trigger,
    configVersion: evaluation.configVersion,
    factsPosition,
    customers: evaluation.scores.length,
    memberships: evaluation.memberships.length,
    entered: 0,
    left: 0,
    segments: count(evaluation.memberships.map((m) => m.segment)),
    scores: {
      r: count(evaluation.scores.map((s) => s.r)),
      f: count(evaluation.scores.map((s) => s.f)),
      m: count(evaluation.scores.map((s) => s.m)),
      abc: count(evaluation.scores.map((s) => s.abcClass)),
    },
    durationMs: 0,
  };
  if (recorded) await record(client, evaluation, summary, startedAt);
  summary.durationMs = now().getTime() - startedAt.getTime();
  if (recorded) {
    await client.query('UPDATE read_models.segment_evaluations SET entered = $2, "left" = $3, finished_at = $4 WHERE evaluation_id = $1', [
      summary.evaluationId,
      summary.entered,
      summary.left,
      now(),
    ]);
  }
  return summary;
}

async function record(client: PoolClient, evaluation: SegmentEvaluation, summary: EvaluationSummary, startedAt: Date): Promise<void> {
  const { rows } = await client.query<{ evaluation_id: string }>(
    `INSERT INTO read_models.segment_evaluations (as_of, trigger, config_version, facts_position, customers, memberships, entered, "left", started_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $7) RETURNING evaluation_id`,
    [evaluation.asOf, summary.trigger, evaluation.configVersion, summary.factsPosition, summary.customers, summary.memberships, startedAt],
  );
  const id = Number(rows[0].evaluation_id);
  summary.evaluationId = id;

  const current = await client.query<[string, string]>({
    text: 'SELECT customer_id, segment FROM read_models.segment_membership_history WHERE left_at IS NULL',
    rowMode: 'array',
  });
  const { entering, leaving, changes } = diff(current.rows, evaluation.memberships);
  summary.entered = entering.length;
  summary.left = leaving.length;

  if (leaving.length) {
    await client.query(
      `UPDATE read_models.segment_membership_history h SET left_at = $1, left_evaluation = $2
         FROM unnest($3::text[], $4::text[]) AS l(customer_id, segment)
        WHERE h.left_at IS NULL AND h.customer_id = l.customer_id AND h.segment = l.segment`,
      [evaluation.asOf, id, leaving.map((l) => l.customerId), leaving.map((l) => l.segment)],
    );
  }
  if (entering.length) {
    await copyInto(
      client,
      'COPY read_models.segment_membership_history (customer_id, segment, entered_at, entered_evaluation, reason) FROM STDIN',
      copyLines(entering, (m) => [m.customerId, m.segment, evaluation.asOf, id, m.reason]),
    );
  }
  if (changes.length) {
    await copyInto(
      client,
      'COPY read_models.segment_changes (evaluation_id, at, customer_id, segment, change, reason) FROM STDIN',
      copyLines(changes, (c) => [id, evaluation.asOf, c.customerId, c.segment, c.change, c.reason]),
    );
  }
  await client.query('DELETE FROM read_models.segment_scores WHERE evaluation_id < $1', [id]);
  await copyInto(
    client,
    `COPY read_models.segment_scores (evaluation_id, customer_id, currency, recency_days, trips, bookings, revenue, r, f, m, abc_revenue, abc_class,
       discount_revenue, discount_percent, next_discount_percent, spend_to_next_discount) FROM STDIN`,
    copyLines(evaluation.scores, (s) => [
      id,
      s.customerId,
      evaluation.currency,
      s.recencyDays,
      s.trips,
      s.bookings,
      s.revenue,
      s.r,
      s.f,
      s.m,
      s.abcRevenue,
      s.abcClass,
      s.discountRevenue,
      s.discountPercent,
      s.nextDiscountPercent,
      s.spendToNextDiscount,
    ]),
  );
}
