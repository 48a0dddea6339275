import type { Pool } from 'pg';
import type { EventStore } from '../../libs/event-store/src';
import { NotIdentifiable } from '../../libs/clv/src';
import { FactsNotReady, poll, type PollOptions } from '../../libs/projection-engine/src';
import { fitAndRecord, scoreAndRecord } from './churn-recording';
import { currentFit, type ChurnSettings } from './churn-model';

export interface ChurnScheduleOptions {
  /** A new fit (and scoring as of now) this long after the current fit's cut-off. */
  intervalMs: number;
  pollMs: number;
  log: (line: string) => void;
  availability?: PollOptions['availability'];
  now?: () => Date;
  /** With several projector processes, it runs only while this says so: in the one holding the leader's lease. */
  leading?: () => boolean | Promise<boolean>;
}

/**
 * Refits the churn model as of now when the current fit is older than the interval (or there is none), and scores
 * every customer with each fit that has no scoring yet. Data that cannot identify the model is reported once per
 * interval, not retried at every poll, and the previous fit stays current; a lost database is waited out, any other
 * failure is retried at the next polls, backing off, and a scoring that failed is run again.
 */
export async function runChurnSchedule(pool: Pool, store: EventStore, settings: ChurnSettings, options: ChurnScheduleOptions, signal: AbortSignal): Promise<void> {
  const now = options.now ?? (() => new Date());
  /** When the data last could not identify the model: not tried again within the interval. */
  let unidentifiableAt = -Infinity;
  /** Why fits and scorings wait (churn_facts stopped at an event, or being rebuilt), logged once. */
  let waiting = '';
  const step = async (): Promise<void> => {
    if ((await options.leading?.()) === false) return;
    try {
      await fitAndScore();
      waiting = '';
    } catch (error) {
      if (!(error instanceof FactsNotReady)) throw error;
      if (waiting !== error.message) options.log(`churn fits and scorings wait: ${error.message}`);
      waiting = error.message;
    }
  };
  const fitAndScore = async (): Promise<void> => {
    const fit = await currentFit(pool);
    const at = now().getTime();
    const cutoff = new Date(at).toISOString();
    if ((!fit || at - Date.parse(fit.cutoff) >= options.intervalMs) && at - unidentifiableAt >= options.intervalMs) {
      try {
        const fitted = await fitAndRecord(pool, store, settings, { cutoff, trigger: 'schedule', actor: 'schedule' });
        options.log(
          `churn model fitted as of ${cutoff}: ${fitted.model} on ${fitted.customers} customers (${fitted.repeatBuyers} repeat), ` +
            `log-likelihood ${fitted.logLikelihood.toFixed(1)}, ${fitted.durationMs} ms`,
        );
      } catch (error) {
        // Anything else (a lost connection) is retried at the next polls, backing off.
        if (!(error instanceof NotIdentifiable)) throw error;
        unidentifiableAt = at;
        options.log(`churn model not fitted as of ${cutoff}: ${error.message}; ${fit ? `fit ${fit.fitId} stays current` : 'no model yet'}`);
      }
    }
    // Every fit gets its scoring, also when the scoring failed the first time.
    const current = await currentFit(pool);
    const scored = current && (await pool.query('SELECT 1 FROM read_models.churn_scorings WHERE fit_id = $1 LIMIT 1', [current.fitId])).rowCount;
    if (current && !scored) {
      const scoring = await scoreAndRecord(pool, store, settings, current.cutoff);
      options.log(
        `churn risk scored as of ${scoring.asOf} with fit ${scoring.fitId}: ${scoring.customers} customers ` +
          `(high ${scoring.bands.high}, medium ${scoring.bands.medium}, low ${scoring.bands.low}), ${scoring.durationMs} ms`,
      );
    }
  };
  await poll(step, { pollMs: options.pollMs, what: 'churn model fit', log: options.log, availability: options.availability }, signal);
}
