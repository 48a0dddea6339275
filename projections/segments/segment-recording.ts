import type { Pool, PoolClient } from 'pg';
import { SEGMENTS_SCHEDULE_STREAM } from '../../libs/domain/src';
import { inNotAppendingTransaction, type EventStore } from '../../libs/event-store/src';
import { withClient } from '../../libs/postgres/src';
import { partitionCheckpoints, scheduleEvent } from '../../libs/projection-engine/src';
import type { SegmentConfig } from '../../libs/segments/src';
import { evaluateIn, type EvaluationSummary, type EvaluationTrigger } from './segment-evaluation';
import { publishEvaluations } from './segment-publishing';
import { SEGMENT_EVALUATION_LOCK, segmentFactsProjection } from './segment-facts.projection';

/*
 * Evaluations as the schedule, the API and the CLI run them (segment-evaluation.ts computes and writes one): on the
 * facts of one snapshot, taking turns, each appended to engine-schedule-segments for a rebuild to redo (issue 16).
 */

/**
 * Evaluations take turns: the session lock is held from before the facts are read until the evaluation's event is
 * in the log (a rebuild's switch takes it too, so it never misses one).
 */
const exclusively = async <T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> =>
  withClient(pool, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 42))', [SEGMENT_EVALUATION_LOCK]);
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 42))', [SEGMENT_EVALUATION_LOCK]).catch(() => undefined);
    }
  });

/**
 * Evaluates every family as of `asOf` and records the difference from the current membership: stays that end get
 * left_at, new stays a history row, and each entry and exit a change-feed row, in one transaction, on the facts of
 * one snapshot, each partition of segment_facts at its checkpoint. Then the evaluation is appended to the
 * engine-schedule-segments stream, so a rebuild redoes it on the same facts (issue 16). Evaluations take turns, so
 * change positions commit in order and a feed reader never steps over one.
 */
export async function evaluateAndRecord(
  pool: Pool,
  store: EventStore,
  config: SegmentConfig,
  options: { asOf: string; trigger: EvaluationTrigger; now?: () => Date },
): Promise<EvaluationSummary> {
  const now = options.now ?? (() => new Date());
  try {
    return await exclusively(pool, async (client) => {
      // One snapshot for the facts, where each partition of them stands, and the membership they are compared with;
      // it writes for seconds and appends nothing (its event follows the commit), so log readers need not wait for it.
      const summary = await inNotAppendingTransaction(client, pool, async (tx) =>
        evaluateIn(tx, config, options.asOf, options.trigger, now, { factsCheckpoints: await partitionCheckpoints(tx, segmentFactsProjection) }),
      );
      if (summary.recorded) await publishEvaluations(client, store, config);
      return summary;
    });
  } catch (error) {
    await recordFailure(pool, config, options.asOf, options.trigger, now(), error);
    throw error;
  }
}

/**
 * `npm run segments -- reevaluate`: records that every evaluation so far is to be redone with `config` (a change of
 * rules restated over the past); the caller then rebuilds segment_facts, which redoes them so.
 */
export function reapplyRules(pool: Pool, store: EventStore, config: SegmentConfig): Promise<number> {
  return exclusively(pool, async (client) => {
    const { rows } = await client.query<{ last: string | null }>('SELECT max(evaluation_id) AS last FROM read_models.segment_evaluations');
    const through = Number(rows[0].last ?? 0);
    await publishEvaluations(client, store, config);
    const data = { config, configVersion: config.version, throughEvaluationId: through };
    await store.append(SEGMENTS_SCHEDULE_STREAM, [scheduleEvent(SEGMENTS_SCHEDULE_STREAM, 'SegmentRulesReapplied', `${through}:${JSON.stringify(config)}`, data, new Date().toISOString())]);
    return through;
  });
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
