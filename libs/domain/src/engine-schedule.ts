/*
 * The engine's own record of work done at instants rather than on events (issue 16, point 4): segment evaluations,
 * churn model fits and churn scorings. Each is written to the read models and then appended here, so a rebuild from
 * the log redoes it at the same point of the log, as of the same instant, with the same config.
 */

export const ENGINE_SCHEDULE_STREAM_PREFIX = 'engine-schedule-';
export const SEGMENTS_SCHEDULE_STREAM = `${ENGINE_SCHEDULE_STREAM_PREFIX}segments`;
export const CHURN_SCHEDULE_STREAM = `${ENGINE_SCHEDULE_STREAM_PREFIX}churn`;

export const ENGINE_SCHEDULE_EVENT_TYPES = [
  /** A recorded segment evaluation: its instant, trigger, config and the facts checkpoint it saw. */
  'SegmentsEvaluated',
  /** `segments reevaluate`: every evaluation before it is redone with this config. */
  'SegmentRulesReapplied',
  /** A churn model fit: its result, copied as it is by a rebuild. */
  'ChurnModelFitted',
  /** A churn scoring: its instant, fit, settings and the facts checkpoint it saw. */
  'ChurnRiskScored',
] as const;
