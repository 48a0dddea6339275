import type { Pool } from 'pg';
import type { EventStore } from '../../libs/event-store/src';
import { poll, type PollOptions } from '../../libs/projection-engine/src';
import { assignAudience, runningCampaigns } from './assign-audience';

export interface CampaignScheduleOptions {
  /** How often running campaigns look for customers who entered their audience. */
  intervalMs: number;
  log: (line: string) => void;
  availability?: PollOptions['availability'];
  now?: () => Date;
  /** With several projector processes, it runs only in the one holding the leader's lease. */
  leading?: () => boolean | Promise<boolean>;
}

/** The engine's own actor: nobody asked for these assignments, the campaign's audience changed. */
const SYSTEM = { actor: { id: 'engine', role: 'system' }, source: 'system' } as const;

/**
 * Entrants (issue 18, point 2): a customer who enters the audience of a running campaign after its launch (a new
 * booking, a segment entered, consent given) is assigned at the next run, exactly as the launch assigned the first.
 */
export async function runCampaignEntrants(pool: Pool, store: EventStore, options: CampaignScheduleOptions, signal: AbortSignal): Promise<void> {
  const now = options.now ?? (() => new Date());
  const step = async (): Promise<void> => {
    if ((await options.leading?.()) === false) return;
    for (const campaignId of await runningCampaigns(pool)) {
      if (signal.aborted) return;
      const run = await assignAudience(pool, store, campaignId, { now, metadata: { ...SYSTEM, correlationId: `campaign-entrants:${campaignId}:${now().toISOString()}` } });
      if (run.assigned) options.log(`campaign ${campaignId}: ${run.assigned} entrants assigned (${run.treatment} treatment, ${run.control} control) in ${run.durationMs} ms`);
    }
  };
  await poll(step, { pollMs: options.intervalMs, what: 'campaign entrants', log: options.log, availability: options.availability }, signal);
}
