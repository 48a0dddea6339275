import type { ChurnConfig } from '../../libs/churn/src';
import { expectedPurchases, fitBgModel, summarise, UNIT_DAYS, type Transaction } from '../../libs/clv/src';
import { monthsBefore } from '../../libs/segments/src';

/* Each churn fit's holdout check (churn-model.ts stores it with the fit): fit on less, predict the months held out. */

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

/** Fits on the trips completed by `calibrationEnd` and compares the predicted repeat trips up to `cutoff` with the actual ones. */
export function holdoutCheck(purchases: Transaction[], model: ChurnConfig['model'], cutoff: number): HoldoutCheck {
  const { name, unit } = model;
  const calibrationEnd = monthsBefore(cutoff, model.holdoutMonths);
  const calibration = summarise(purchases, new Date(calibrationEnd).toISOString(), unit);
  const fit = fitBgModel(name, calibration);
  const actual = new Map<string, Set<string>>();
  for (const p of purchases) {
    const at = Date.parse(p.at);
    if (at <= calibrationEnd || at > cutoff) continue;
    const days = actual.get(p.customerId) ?? new Set<string>();
    actual.set(p.customerId, days.add(p.at.slice(0, 10)));
  }
  const horizon = (cutoff - calibrationEnd) / DAY_MS / UNIT_DAYS[unit];
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
  return {
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
}
