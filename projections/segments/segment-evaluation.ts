import type { Pool, PoolClient } from 'pg';
import { copyInto, copyLine } from '../../libs/event-store/src';
import { evaluateSegments, type CustomerFacts, type SegmentConfig, type SegmentEvaluation } from '../../libs/segments/src';

export type EvaluationTrigger = 'events' | 'schedule' | 'on-demand' | 're-evaluation';

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

const ISO = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Every customer's facts in one pass over each table (the evaluation needs them all: quintiles and ABC are relative). */
async function loadFacts(client: PoolClient): Promise<CustomerFacts[]> {
  const customers = await client.query<[string, string, string[], { at: string; granted: boolean }[]]>({
    text: `SELECT customer_id, ${ISO('registered_at')}, declared_tags, vip_changes FROM read_models.segment_facts_customers`,
    rowMode: 'array',
  });
  const byId = new Map<string, CustomerFacts>();
  for (const [customerId, registeredAt, declaredTags, vipChanges] of customers.rows) {
    byId.set(customerId, { customerId, registeredAt, declaredTags, vipChanges, bookings: [] });
  }
  const bookings = await client.query<[string, string, string, string, string, string, number, string, string, string, string | null, string | null]>({
    text: `SELECT customer_id, booking_id, ${ISO('booked_at')}, departure_date::text, amount_value::text, currency, travellers, product_type,
                  destination_country, channel, ${ISO('returned_at')}, ${ISO('cancelled_at')}
             FROM read_models.segment_facts_bookings`,
    rowMode: 'array',
  });
  for (const [customerId, bookingId, bookedAt, departureDate, amount, currency, travellers, productType, destinationCountry, channel, returnedAt, cancelledAt] of bookings.rows) {
    byId.get(customerId)?.bookings.push({
      bookingId,
      bookedAt,
      departureDate,
      amountValue: Number(amount),
      currency,
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

const key = (customerId: string, segment: string): string => `${customerId}\u0000${segment}`;

/** Evaluations take turns: the lock is held from before the snapshot is taken until after the commit. */
async function exclusively<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${LOCK})`);
    try {
      // One snapshot for the facts and the membership they are compared with.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * Evaluates every family as of `asOf` and records the difference from the current membership: stays that end get
 * left_at, new stays a history row, and each entry and exit a change-feed row, in one transaction. Evaluations take
 * turns, so change positions commit in order and a feed reader never steps over one.
 */
export function evaluateAndRecord(
  pool: Pool,
  config: SegmentConfig,
  options: { asOf: string; trigger: EvaluationTrigger; now?: () => Date },
): Promise<EvaluationSummary> {
  const now = options.now ?? (() => new Date());
  return exclusively(pool, (client) => evaluateIn(client, config, options.asOf, options.trigger, now));
}

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
  const position = await client.query<{ position: string }>(`SELECT position FROM read_models.projection_checkpoints WHERE name = 'segment_facts'`);
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
  const next = new Set(evaluation.memberships.map((m) => key(m.customerId, m.segment)));
  const staying = new Set<string>();
  const leaving: { customerId: string; segment: string }[] = [];
  for (const [customerId, segment] of current.rows) {
    const k = key(customerId, segment);
    if (next.has(k)) staying.add(k);
    else leaving.push({ customerId, segment });
  }
  const entering = evaluation.memberships.filter((m) => !staying.has(key(m.customerId, m.segment)));
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
      entering.map((m) => copyLine([m.customerId, m.segment, evaluation.asOf, id, m.reason])),
    );
  }
  // The feed in a stable order: by customer, exits before entries, then by segment.
  const changes = [
    ...leaving.map((l) => ({ ...l, change: 'left', reason: 'no longer matches' })),
    ...entering.map((m) => ({ ...m, change: 'entered' })),
  ].sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : x.change !== y.change ? (x.change === 'left' ? -1 : 1) : x.segment < y.segment ? -1 : 1));
  if (changes.length) {
    await copyInto(
      client,
      'COPY read_models.segment_changes (evaluation_id, at, customer_id, segment, change, reason) FROM STDIN',
      changes.map((c) => copyLine([id, evaluation.asOf, c.customerId, c.segment, c.change, c.reason])),
    );
  }
  await client.query('DELETE FROM read_models.segment_scores WHERE evaluation_id < $1', [id]);
  await copyInto(
    client,
    `COPY read_models.segment_scores (evaluation_id, customer_id, currency, recency_days, trips, bookings, revenue, r, f, m, abc_revenue, abc_class,
       discount_revenue, discount_percent, next_discount_percent, spend_to_next_discount) FROM STDIN`,
    evaluation.scores.map((s) =>
      copyLine([
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
    ),
  );
}
