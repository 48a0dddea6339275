import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../libs/event-store/src';
import { isoInstantSql, type PartitionCheckpoints } from '../../libs/projection-engine/src';
import { copyInto, copyLines } from '../../libs/postgres/src';
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

/** What a rebuild redoes an evaluation with: the recorded ids, instants and facts position instead of new ones. */
interface Redo {
  evaluationId: number;
  factsPosition: number;
  startedAt: string;
  finishedAt: string;
  firstHistoryId: number | null;
  firstChangePosition: number | null;
}

/** Where the evaluation's facts stood: the checkpoint (live), or the whole record of it (a rebuild's redo). */
export interface Recording {
  factsCheckpoints: PartitionCheckpoints;
  redo?: Redo;
}

/** segment_facts' RecordedWork: the events to redo, each with the config of a later `reevaluate` when there is one. */
export function planEvaluations(events: RecordedEvent[]): RecordedEvent[] {
  const reapplied = events.filter((event) => event.type === 'SegmentRulesReapplied');
  return events
    .filter((event) => event.type === 'SegmentsEvaluated')
    .map((event) => {
      const rules = reapplied.findLast((marker) => Number(marker.data.throughEvaluationId) >= Number(event.data.evaluationId));
      return rules ? { ...event, data: { ...event.data, config: rules.data.config } } : event;
    });
}

/** Redoes a recorded evaluation on the tables `client` works on (a rebuild's), as of its instant with its config. */
export async function redoEvaluation(client: PoolClient, event: RecordedEvent): Promise<void> {
  const data = event.data as unknown as Redo & { asOf: string; trigger: EvaluationTrigger; config: SegmentConfig; factsCheckpoints: PartitionCheckpoints };
  await evaluateIn(client, data.config, data.asOf, data.trigger, () => new Date(), { factsCheckpoints: data.factsCheckpoints, redo: data });
}

export async function evaluateIn(client: PoolClient, config: SegmentConfig, asOf: string, trigger: EvaluationTrigger, now: () => Date, recording: Recording): Promise<EvaluationSummary> {
  const redo = recording.redo ?? null;
  const startedAt = redo ? new Date(redo.startedAt) : now();
  const position = redo
    ? { rows: [{ position: String(redo.factsPosition) }] }
    : await client.query<{ position: string }>(`SELECT max(position) AS position FROM read_models.projection_checkpoints WHERE name = 'segment_facts'`);
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
  if (recorded) await record(client, evaluation, summary, startedAt, config, recording);
  const finishedAt = redo ? new Date(redo.finishedAt) : now();
  summary.durationMs = finishedAt.getTime() - startedAt.getTime();
  if (recorded) {
    await client.query('UPDATE read_models.segment_evaluations SET entered = $2, "left" = $3, finished_at = $4 WHERE evaluation_id = $1', [
      summary.evaluationId,
      summary.entered,
      summary.left,
      finishedAt,
    ]);
  }
  return summary;
}

/**
 * Writes the evaluation with ids of its own: the next after the last ones (evaluations take turns), or the recorded
 * ones when a rebuild redoes it, so the rows come back identical.
 */
async function record(
  client: PoolClient,
  evaluation: SegmentEvaluation,
  summary: EvaluationSummary,
  startedAt: Date,
  config: SegmentConfig,
  recording: Recording,
): Promise<void> {
  const next = await client.query<{ evaluation: string; history: string; change: string }>(
    `SELECT (SELECT coalesce(max(evaluation_id), 0) + 1 FROM read_models.segment_evaluations) AS evaluation,
            (SELECT coalesce(max(history_id), 0) + 1 FROM read_models.segment_membership_history) AS history,
            (SELECT coalesce(max(position), 0) + 1 FROM read_models.segment_changes) AS change`,
  );
  const redo = recording.redo;
  const id = redo?.evaluationId ?? Number(next.rows[0].evaluation);
  const firstHistoryId = redo?.firstHistoryId ?? Number(next.rows[0].history);
  const firstChangePosition = redo?.firstChangePosition ?? Number(next.rows[0].change);
  await client.query(
    `INSERT INTO read_models.segment_evaluations (evaluation_id, as_of, trigger, config_version, facts_position, customers, memberships, entered, "left", started_at, finished_at,
       config, facts_checkpoints, first_history_id, first_change_position)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, $8, $9, $10, $11, $12)`,
    [
      id,
      evaluation.asOf,
      summary.trigger,
      evaluation.configVersion,
      summary.factsPosition,
      summary.customers,
      summary.memberships,
      startedAt,
      config,
      recording.factsCheckpoints,
      firstHistoryId,
      firstChangePosition,
    ],
  );
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
      'COPY read_models.segment_membership_history (history_id, customer_id, segment, entered_at, entered_evaluation, reason) FROM STDIN',
      copyLines(entering, (m, i) => [firstHistoryId + i, m.customerId, m.segment, evaluation.asOf, id, m.reason]),
    );
  }
  if (changes.length) {
    await copyInto(
      client,
      'COPY read_models.segment_changes (position, evaluation_id, at, customer_id, segment, change, reason) FROM STDIN',
      copyLines(changes, (c, i) => [firstChangePosition + i, id, evaluation.asOf, c.customerId, c.segment, c.change, c.reason]),
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
