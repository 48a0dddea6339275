import type { Pool, PoolClient } from 'pg';
import { inNotAppendingTransaction, type EventStore } from '../../libs/event-store/src';
import { withClient } from '../../libs/postgres/src';
import { assertBuilt, partitionCheckpoints } from '../../libs/projection-engine/src';
import { CHURN_SCHEDULE_LOCK, churnFactsProjection } from './churn-facts.projection';
import { currentFit, fitModel, insertFit, NO_CHURN_MODEL, NoChurnModel, publishChurn, scoreIn, type ChurnFit, type ChurnSettings, type ScoringSummary } from './churn-model';

/*
 * Fits and scorings as the schedule and the API run them (churn-model.ts computes and writes one): taking turns,
 * scorings on the facts of one snapshot, each appended to engine-schedule-churn for a rebuild to redo (issue 16).
 */

/**
 * Fits and scorings take turns on a session lock, held from before their transaction until their event is in the
 * engine-schedule-churn stream (a rebuild's switch of churn_facts takes it too, so it never misses one).
 */
const exclusively = <T>(pool: Pool, store: EventStore, work: (client: PoolClient) => Promise<T>): Promise<T> =>
  withClient(pool, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 42))', [CHURN_SCHEDULE_LOCK]);
    try {
      // One snapshot for a scoring's facts and where each partition of them stands. A scoring writes for seconds and
      // appends nothing (its event follows the commit): log readers need not wait for it.
      const result = await inNotAppendingTransaction(client, pool, work);
      await publishChurn(client, store);
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 42))', [CHURN_SCHEDULE_LOCK]).catch(() => undefined);
    }
  });

/**
 * Fits the model as of `cutoff` and stores it as the current model; the fit, as it came out, is then appended to
 * engine-schedule-churn, and a rebuild copies it from there. Throws NotIdentifiable (nothing stored: the previous
 * fit stays current) when the data cannot identify the model.
 */
export async function fitAndRecord(pool: Pool, store: EventStore, settings: ChurnSettings, options: { cutoff: string; trigger: ChurnFit['trigger']; actor: string }): Promise<ChurnFit> {
  // Not on the empty tables of a churn_facts being rebuilt from the log.
  await assertBuilt(pool, churnFactsProjection);
  const fit = await fitModel(pool, settings, options);
  return exclusively(pool, store, (client) => insertFit(client, fit));
}

/**
 * Scores every customer with a completed trip as of `asOf` with the current model, on the facts of one snapshot,
 * each partition of churn_facts at its checkpoint; the rows replace the previous scoring's, and the scoring is
 * appended to engine-schedule-churn, so a rebuild redoes it on those facts. Customers are scored as the COPY stream
 * asks for them, so PostgreSQL stores one chunk while the next is scored.
 */
export async function scoreAndRecord(pool: Pool, store: EventStore, settings: ChurnSettings, asOf: string): Promise<ScoringSummary> {
  const started = Date.now();
  return exclusively(pool, store, async (client) => {
    const fit = await currentFit(client);
    if (!fit) throw new NoChurnModel(NO_CHURN_MODEL);
    const factsCheckpoints = await partitionCheckpoints(client, churnFactsProjection);
    return scoreIn(client, fit, { asOf: new Date(Date.parse(asOf)).toISOString(), settings, factsCheckpoints }, started);
  });
}
