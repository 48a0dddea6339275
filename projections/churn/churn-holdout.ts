import { candidatesOf, type ChurnConfig, type ModelCandidate } from '../../libs/churn/src';
import { expectedPurchases, fitPurchaseModel, NotIdentifiable, summarise, UNIT_DAYS, type CustomerSummary, type ModelName, type Transaction } from '../../libs/clv/src';
import { monthsBefore } from '../../libs/segments/src';

/*
 * Each churn fit's holdout check (churn-model.ts stores it with the fit): fit on less, predict the months held out;
 * with `by-holdout` in the config, for every candidate model, to choose among them (libs/churn model-choice.ts).
 */

const DAY_MS = 86_400_000;

export interface HoldoutCheck {
  calibrationEnd: string;
  customers: number;
  /** Repeat trips per customer in (calibrationEnd, cutoff]: mean absolute and root-mean-square error. */
  meanAbsoluteError: number;
  rootMeanSquareError: number;
  predictedTrips: number;
  actualTrips: number;
  /**
   * The calibration-versus-holdout picture: customers grouped by their repeat trips before `calibrationEnd` (the last
   * group holds HOLDOUT_GROUPS - 1 or more), with the mean predicted and actual repeat trips in the holdout. Fits
   * recorded before this field existed have none.
   */
  byRepeatTrips?: { repeatTrips: number; customers: number; predicted: number; actual: number }[];
}

/** Groups of the holdout picture: 0, 1, ... and the last one open-ended. */
const HOLDOUT_GROUPS = 8;

/** The calibration customers and their actual repeat trips (distinct days) in (calibrationEnd, cutoff]. */
interface HoldoutData {
  calibrationEnd: number;
  calibration: CustomerSummary[];
  actual: Map<string, Set<string>>;
  horizon: number;
}

function holdoutData(purchases: Transaction[], model: ChurnConfig['model'], cutoff: number): HoldoutData {
  const calibrationEnd = monthsBefore(cutoff, model.holdoutMonths);
  const calibration = summarise(purchases, new Date(calibrationEnd).toISOString(), model.unit);
  const actual = new Map<string, Set<string>>();
  for (const p of purchases) {
    const at = Date.parse(p.at);
    if (at <= calibrationEnd || at > cutoff) continue;
    const days = actual.get(p.customerId) ?? new Set<string>();
    actual.set(p.customerId, days.add(p.at.slice(0, 10)));
  }
  return { calibrationEnd, calibration, actual, horizon: (cutoff - calibrationEnd) / DAY_MS / UNIT_DAYS[model.unit] };
}

/**
 * The holdout check of every candidate of the config (the named model alone, or the candidates of `by-holdout`), on
 * one calibration. A candidate the calibration part cannot identify gets its reason instead of figures.
 */
export function checkCandidates(purchases: Transaction[], model: ChurnConfig['model'], cutoff: number): { candidates: ModelCandidate[]; checks: Map<ModelName, HoldoutCheck> } {
  const data = holdoutData(purchases, model, cutoff);
  const checks = new Map<ModelName, HoldoutCheck>();
  const candidates = candidatesOf(model).map((name): ModelCandidate => {
    try {
      const { check, logLikelihood } = checkOn(data, name);
      checks.set(name, check);
      const { meanAbsoluteError, rootMeanSquareError, predictedTrips, actualTrips } = check;
      return { model: name, meanAbsoluteError, rootMeanSquareError, predictedTrips, actualTrips, calibrationLogLikelihood: Number(logLikelihood.toFixed(2)) };
    } catch (error) {
      if (!(error instanceof NotIdentifiable)) throw error;
      return { model: name, meanAbsoluteError: null, rootMeanSquareError: null, predictedTrips: null, actualTrips: null, calibrationLogLikelihood: null, error: error.message };
    }
  });
  return { candidates, checks };
}

function checkOn({ calibrationEnd, calibration, actual, horizon }: HoldoutData, name: ModelName): { check: HoldoutCheck; logLikelihood: number } {
  const fit = fitPurchaseModel(name, calibration);
  let absolute = 0;
  let squared = 0;
  let predictedTrips = 0;
  let actualTrips = 0;
  const groups = Array.from({ length: HOLDOUT_GROUPS }, () => ({ customers: 0, predicted: 0, actual: 0 }));
  for (const customer of calibration) {
    const predicted = expectedPurchases(name, fit.params, customer, horizon);
    const real = actual.get(customer.customerId)?.size ?? 0;
    absolute += Math.abs(predicted - real);
    squared += (predicted - real) ** 2;
    predictedTrips += predicted;
    actualTrips += real;
    const group = groups[Math.min(customer.x, HOLDOUT_GROUPS - 1)];
    group.customers++;
    group.predicted += predicted;
    group.actual += real;
  }
  const n = calibration.length;
  const check: HoldoutCheck = {
    calibrationEnd: new Date(calibrationEnd).toISOString(),
    customers: n,
    meanAbsoluteError: Number((absolute / n).toFixed(4)),
    rootMeanSquareError: Number(Math.sqrt(squared / n).toFixed(4)),
    predictedTrips: Number(predictedTrips.toFixed(1)),
    actualTrips,
    byRepeatTrips: groups
      .map((group, repeatTrips) => ({
        repeatTrips,
        customers: group.customers,
        predicted: group.customers ? Number((group.predicted / group.customers).toFixed(3)) : 0,
        actual: group.customers ? Number((group.actual / group.customers).toFixed(3)) : 0,
      }))
      .filter((group) => group.customers > 0),
  };
  return { check, logLikelihood: fit.logLikelihood };
}
