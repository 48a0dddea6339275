import { MODEL_NAMES, type ModelName, type TimeUnit } from '../../clv/src';
import { Checker, ConfigFileError, isObject, mergeConfig, readJsonConfig } from '../../config/src';

/** The service signals that add to a churn-risk score, each with its configured weight in points. */
export const SIGNALS = ['overdueComplaint', 'unresolvedComplaint', 'detractor', 'noContactAfterReturn', 'recentCancellation'] as const;
export type Signal = (typeof SIGNALS)[number];

/**
 * Churn model and risk-score settings (CHURN_CONFIG overrides the defaults, like SEGMENTS_CONFIG). Money comes from
 * the segments config's base currency and rates. Time units are named wherever they appear.
 */
export interface ChurnConfig {
  version: string;
  model: {
    /**
     * The model to fit, or `by-holdout`: each of `candidates` is checked on the holdout and the one with the lowest
     * mean absolute error is fitted (model-choice.ts). Configs from before issue 19 name bgnbd or mbgnbd and keep it.
     */
    name: ModelName | typeof BY_HOLDOUT;
    /** The models `by-holdout` chooses from, in the order ties and failures fall back on; absent in old configs. */
    candidates?: ModelName[];
    /** The unit the model is fitted in (a month is 365.25 / 12 days). */
    unit: TimeUnit;
    /** The holdout check of each fit: fit up to the cut-off minus this many calendar months, predict those months. */
    holdoutMonths: number;
  };
  /** Expected trips are reported for the next `expectedTripsMonths` calendar months; CLV over `clv.horizonMonths`. */
  expectedTripsMonths: number;
  clv: { horizonMonths: number; margin: number; annualDiscountRate: number };
  /**
   * Points: `dropout` is multiplied by 1 - P(alive); each service signal adds its weight once. The score is the sum,
   * capped at 100.
   */
  weights: { dropout: number } & Record<Signal, number>;
  /** Score from which a customer is in the medium and in the high band; below medium: low. */
  bands: { medium: number; high: number };
  /** How long a complaint may stay unresolved, by severity, in hours. */
  complaintDeadlineHours: { low: number; medium: number; high: number; critical: number };
  /** A last NPS answer at or below this is a detractor. */
  detractorMaxNps: number;
  /** A return without any logged contact within this many days is a signal (once the days have passed). */
  contactWithinDays: number;
  /** A cancellation this many days before the instant or later is a signal. */
  cancellationWithinDays: number;
}

/** `model.name` for "the candidate with the lowest holdout error". */
export const BY_HOLDOUT = 'by-holdout';

/**
 * default-1 fitted MBG/NBD; default-2 (issue 19) chooses among the three by their holdout error. Fits record the
 * version they were made with, and a rebuild copies them as they came out, so old fits keep their model.
 */
export const DEFAULT_CHURN_CONFIG: ChurnConfig = {
  version: 'default-2',
  model: { name: BY_HOLDOUT, candidates: [...MODEL_NAMES], unit: 'month', holdoutMonths: 12 },
  expectedTripsMonths: 12,
  clv: { horizonMonths: 36, margin: 0.15, annualDiscountRate: 0.1 },
  weights: { dropout: 70, overdueComplaint: 25, unresolvedComplaint: 10, detractor: 15, noContactAfterReturn: 10, recentCancellation: 10 },
  bands: { medium: 30, high: 60 },
  complaintDeadlineHours: { low: 168, medium: 72, high: 24, critical: 4 },
  detractorMaxNps: 6,
  contactWithinDays: 7,
  cancellationWithinDays: 90,
};

/** The defaults merged with an override (a parsed JSON file), checked; throws naming every wrong entry. */
export function churnConfig(override: unknown = {}, source = 'churn config'): ChurnConfig {
  if (!isObject(override)) throw new ConfigFileError(`${source}: must be a JSON object`);
  const check = new Checker();
  check.keys('', override, Object.keys(DEFAULT_CHURN_CONFIG));
  const config = structuredClone(mergeConfig(DEFAULT_CHURN_CONFIG, override)) as ChurnConfig;
  if (Object.keys(override).some((key) => key !== 'version') && override.version === undefined) {
    check.fail('version', 'a config that changes the defaults must name its version (recorded with every fit)');
  }
  if (typeof config.version !== 'string' || !config.version.trim()) check.fail('version', 'must be a non-empty string');
  if (check.keys('model', config.model, ['name', 'candidates', 'unit', 'holdoutMonths'])) {
    const names = [BY_HOLDOUT, ...MODEL_NAMES];
    if (!names.includes(config.model.name)) check.fail('model.name', `must be one of ${names.join(', ')} (got ${JSON.stringify(config.model.name)})`);
    const { candidates } = config.model;
    if (candidates !== undefined && (!Array.isArray(candidates) || !candidates.length || candidates.some((c) => !MODEL_NAMES.includes(c)) || new Set(candidates).size !== candidates.length)) {
      check.fail('model.candidates', `must be a list of different models from ${MODEL_NAMES.join(', ')} (got ${JSON.stringify(candidates)})`);
    }
    if (!['day', 'week', 'month'].includes(config.model.unit)) check.fail('model.unit', `must be day, week or month (got ${JSON.stringify(config.model.unit)})`);
    check.number('model.holdoutMonths', config.model.holdoutMonths, { integer: true, min: 1, max: 120 });
  }
  check.number('expectedTripsMonths', config.expectedTripsMonths, { integer: true, min: 1, max: 120 });
  if (check.keys('clv', config.clv, ['horizonMonths', 'margin', 'annualDiscountRate'])) {
    check.number('clv.horizonMonths', config.clv.horizonMonths, { integer: true, min: 1, max: 600 });
    check.number('clv.margin', config.clv.margin, { max: 1 });
    check.number('clv.annualDiscountRate', config.clv.annualDiscountRate, { max: 1 });
  }
  if (check.keys('weights', config.weights, ['dropout', ...SIGNALS])) {
    // Whole points: the score is an integer from 0 to 100.
    for (const key of ['dropout', ...SIGNALS] as const) check.number(`weights.${key}`, config.weights[key], { integer: true, max: 100 });
  }
  if (check.keys('bands', config.bands, ['medium', 'high'])) {
    check.number('bands.medium', config.bands.medium, { above: 0, max: 100 });
    check.number('bands.high', config.bands.high, { above: 0, max: 100 });
    if (config.bands.high <= config.bands.medium) check.fail('bands.high', `must be above bands.medium (${config.bands.medium}), got ${config.bands.high}`);
  }
  if (check.keys('complaintDeadlineHours', config.complaintDeadlineHours, ['low', 'medium', 'high', 'critical'], 'severity')) {
    for (const severity of ['low', 'medium', 'high', 'critical'] as const) check.number(`complaintDeadlineHours.${severity}`, config.complaintDeadlineHours[severity], { above: 0 });
  }
  check.number('detractorMaxNps', config.detractorMaxNps, { integer: true, max: 10 });
  check.number('contactWithinDays', config.contactWithinDays, { integer: true, min: 1 });
  check.number('cancellationWithinDays', config.cancellationWithinDays, { integer: true, min: 1 });
  if (check.problems.length) throw new ConfigFileError(`${source} is invalid:\n  - ${check.problems.join('\n  - ')}`);
  return config;
}

/** CHURN_CONFIG names a JSON file; without it the defaults apply. */
export function loadChurnConfig(path: string | undefined): ChurnConfig {
  return path ? churnConfig(readJsonConfig('CHURN_CONFIG', path), `CHURN_CONFIG=${path}`) : churnConfig();
}
