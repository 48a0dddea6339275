import { MODEL_NAMES, type ModelName } from '../../clv/src';
import { BY_HOLDOUT, type ChurnConfig } from './churn-config';

/*
 * Which buy-till-you-die model the engine's churn fit uses (issue 19): the one the config names, or, with `by-holdout`,
 * the candidate whose predictions of the held-out months were closest to what the customers did.
 */

/** One candidate's holdout check, as recorded with the fit; `error` when the calibration part could not identify it. */
export interface ModelCandidate {
  model: ModelName;
  /** Repeat trips per customer in the holdout months: mean absolute and root-mean-square error. */
  meanAbsoluteError: number | null;
  rootMeanSquareError: number | null;
  predictedTrips: number | null;
  actualTrips: number | null;
  /** Log-likelihood of the calibration fit (each model's own; not comparable between models of different families). */
  calibrationLogLikelihood: number | null;
  error?: string;
}

/** `first-that-fits`: no candidate could be checked on the holdout (too little history before it), so their order decides. */
export type ChoiceRule = 'configured' | 'lowest-holdout-error' | 'first-that-fits';

/** The models to check on the holdout: the named one alone, or the candidates (all three in configs without them). */
export function candidatesOf(model: ChurnConfig['model']): ModelName[] {
  if (model.name !== BY_HOLDOUT) return [model.name];
  return [...(model.candidates ?? MODEL_NAMES)];
}

/**
 * The order to try fitting the models in on all trips: the configured one alone; otherwise the checked candidates by
 * mean absolute error (ties: root-mean-square error, then the candidates' order), then those whose check failed, in
 * the candidates' order. Mean absolute error decides because the scores are per customer: it is the typical miss
 * for one customer, where RMSE is dominated by the few most frequent travellers.
 */
export function rankCandidates(model: ChurnConfig['model'], checked: readonly ModelCandidate[]): { rule: ChoiceRule; order: ModelName[] } {
  if (model.name !== BY_HOLDOUT) return { rule: 'configured', order: [model.name] };
  const position = (name: ModelName): number => checked.findIndex((c) => c.model === name);
  const measured = checked.filter((c) => c.meanAbsoluteError !== null);
  measured.sort(
    (x, y) => x.meanAbsoluteError! - y.meanAbsoluteError! || (x.rootMeanSquareError ?? 0) - (y.rootMeanSquareError ?? 0) || position(x.model) - position(y.model),
  );
  const unmeasured = checked.filter((c) => c.meanAbsoluteError === null);
  return { rule: measured.length ? 'lowest-holdout-error' : 'first-that-fits', order: [...measured, ...unmeasured].map((c) => c.model) };
}
