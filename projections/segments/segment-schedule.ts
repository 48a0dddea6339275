import type { Pool } from 'pg';
import { SEGMENTS_SCHEDULE_STREAM } from '../../libs/domain/src';
import { compareCheckpoints, type EventStore } from '../../libs/event-store/src';
import { FactsNotReady, poll, type PartitionCheckpoints, type PollOptions } from '../../libs/projection-engine/src';
import type { SegmentConfig } from '../../libs/segments/src';
import { evaluateAndRecord } from './segment-recording';
import { type EvaluationSummary } from './segment-evaluation';

export interface SegmentScheduleOptions {
  /** The time-driven evaluation (recency moves every day): this long after the last one. */
  intervalMs: number;
  /** How often it looks for new facts and for the interval's end. */
  pollMs: number;
  log: (line: string) => void;
  availability?: PollOptions['availability'];
  now?: () => Date;
  /** With several projector processes, it runs only while this says so: in the one holding the leader's lease. */
  leading?: () => boolean | Promise<boolean>;
}

/** Events of the log past an evaluation's facts that newSince reads at most: past that many it takes the facts as changed. */
const LOOK_AHEAD = 100;

/**
 * Whether the log holds an event up to `position` past the facts an evaluation read (its most advanced partition's
 * checkpoint) other than the evaluations' own records. segment_facts passes every event of the log, so its position
 * moved past each evaluation's own SegmentsEvaluated too: an idle engine evaluated again at every poll, each time
 * appending another event (found in a new-user check: 21 evaluations in 3.5 idle minutes). An evaluation recorded
 * before the checkpoints were kept (null) is taken as changed, as before.
 */
async function newSince(store: EventStore, factsCheckpoints: PartitionCheckpoints | null, position: number): Promise<boolean> {
  const checkpoints = Object.values(factsCheckpoints ?? {});
  if (!checkpoints.length) return true;
  const read = checkpoints.reduce((most, checkpoint) => (compareCheckpoints(checkpoint, most) > 0 ? checkpoint : most));
  const { events } = await store.readAll(read, LOOK_AHEAD);
  const passed = events.filter((event) => event.globalPosition <= position);
  return passed.length === LOOK_AHEAD || passed.some((event) => event.streamId !== SEGMENTS_SCHEDULE_STREAM);
}

/** A burst of events (an import) is evaluated once it pauses for a poll, or at the latest after this long. */
const MAX_DELAY_MS = 60_000;

/**
 * Runs evaluations as of "now": after the segment facts change, and on the interval. Several processes may run
 * one: the evaluations take turns in the database, and each looks at what the last recorded one covered.
 */
export async function runSegmentSchedule(pool: Pool, store: EventStore, config: SegmentConfig, options: SegmentScheduleOptions, signal: AbortSignal): Promise<void> {
  const now = options.now ?? (() => new Date());
  let seen = -1;
  /** Why evaluations wait (segment_facts stopped at an event, or being rebuilt), logged once. */
  let waiting = '';
  const step = async (): Promise<void> => {
    if ((await options.leading?.()) === false) return;
    const { rows } = await pool.query<{ position: string | null; facts_position: string | null; facts_checkpoints: PartitionCheckpoints | null; as_of: Date | null; finished_at: Date | null }>(
      `SELECT (SELECT max(position) FROM read_models.projection_checkpoints WHERE name = 'segment_facts') AS position, e.facts_position, e.facts_checkpoints, e.as_of, e.finished_at
         FROM (SELECT 1) one LEFT JOIN LATERAL (
           SELECT facts_position, facts_checkpoints, as_of, finished_at FROM read_models.segment_evaluations ORDER BY evaluation_id DESC LIMIT 1) e ON true`,
    );
    const position = Number(rows[0].position ?? 0);
    const last = rows[0];
    const factsChanged = position > Number(last.facts_position ?? 0) && (await newSince(store, last.facts_checkpoints, position));
    const settled = position === seen || (last.finished_at !== null && now().getTime() - last.finished_at.getTime() >= MAX_DELAY_MS);
    const due = last.as_of === null ? position > 0 : now().getTime() - last.as_of.getTime() >= options.intervalMs;
    seen = position;
    let summary: EvaluationSummary | undefined;
    const trigger = factsChanged && settled ? 'events' : due ? 'schedule' : null;
    try {
      if (trigger) summary = await evaluateAndRecord(pool, store, config, { asOf: now().toISOString(), trigger, now });
      waiting = '';
    } catch (error) {
      if (!(error instanceof FactsNotReady)) throw error;
      if (waiting !== error.message) options.log(`segment evaluations wait: ${error.message}`);
      waiting = error.message;
    }
    if (summary) {
      options.log(
        `segments evaluated as of ${summary.asOf} (${summary.trigger}): ${summary.customers} customers, ${summary.entered} entered, ${summary.left} left, ${summary.durationMs} ms` +
          (summary.recorded ? '' : ' (not recorded: a later evaluation exists)'),
      );
    }
  };
  await poll(step, { pollMs: options.pollMs, what: 'segment evaluation', log: options.log, availability: options.availability }, signal);
}
