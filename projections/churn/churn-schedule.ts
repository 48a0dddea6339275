import type { Pool } from 'pg';
import { NotIdentifiable } from '../../libs/clv/src';
import { poll } from '../../libs/projection-engine/src';
import { currentFit, fitAndRecord, scoreAndRecord, type ChurnSettings } from './churn-model';

export interface ChurnScheduleOptions {
  /** A new fit (and scoring as of now) this long after the current fit's cut-off. */
  intervalMs: number;
  pollMs: number;
  log: (line: string) => void;
  now?: () => Date;
}

/**
 * Refits the churn model and scores every customer as of now when the current fit is older than the interval (or
 * there is none). Data that cannot identify the model is reported once per interval, not retried at every poll;
 * the previous fit stays current.
 */
export async function runChurnSchedule(pool: Pool, settings: ChurnSettings, options: ChurnScheduleOptions, signal: AbortSignal): Promise<void> {
  const now = options.now ?? (() => new Date());
  let lastAttempt = -Infinity;
  const step = async (): Promise<void> => {
    const fit = await currentFit(pool);
    const at = now().getTime();
    if ((fit && at - Date.parse(fit.cutoff) < options.intervalMs) || at - lastAttempt < options.intervalMs) return;
    lastAttempt = at;
    const cutoff = new Date(at).toISOString();
    try {
      const fitted = await fitAndRecord(pool, settings, { cutoff, trigger: 'schedule', actor: 'schedule' });
      const scored = await scoreAndRecord(pool, settings, cutoff);
      options.log(
        `churn model fitted as of ${cutoff}: ${fitted.model} on ${fitted.customers} customers (${fitted.repeatBuyers} repeat), ` +
          `log-likelihood ${fitted.logLikelihood.toFixed(1)}, ${fitted.durationMs} ms; scored ${scored.customers} customers ` +
          `(high ${scored.bands.high}, medium ${scored.bands.medium}, low ${scored.bands.low}), ${scored.durationMs} ms`,
      );
    } catch (error) {
      if (!(error instanceof NotIdentifiable)) throw error;
      options.log(`churn model not fitted as of ${cutoff}: ${error.message}; ${fit ? `fit ${fit.fitId} stays current` : 'no model yet'}`);
    }
  };
  await poll(step, { pollMs: options.pollMs, what: 'churn model fit', log: options.log }, signal);
}
