import { observationWindow, summarise, UNIT_DAYS, type CustomerSummary, type TimeUnit, type Transaction } from './customer-summary';
import { expectedPurchases, fitPurchaseModel, MODEL_NAMES, type ModelFit, type ModelName } from './models';

const DAY_MS = 86_400_000;

export interface PredictionError {
  /** Mean over customers of |predicted - actual| repeat purchases in the holdout period. */
  meanAbsoluteError: number;
  rootMeanSquaredError: number;
  predictedTotal: number;
  actualTotal: number;
  /** (predicted - actual) / actual of the totals. */
  totalError: number;
}

export interface HoldoutModel extends PredictionError {
  model: ModelName;
  fit: ModelFit;
}

/** Customers grouped by their calibration repeat purchases: mean actual and predicted holdout purchases per group. */
export interface FrequencyRow {
  /** "0", "1", ..., or "7+". */
  x: string;
  customers: number;
  actual: number;
  predicted: Record<string, number>;
}

export interface HoldoutReport {
  calibrationEnd: string;
  observationEnd: string;
  unit: TimeUnit;
  /** Length of the holdout period in units. */
  holdoutLength: number;
  customers: number;
  repeatBuyers: number;
  models: HoldoutModel[];
  /** Each customer keeps buying at their calibration rate x / T: the yardstick the models must beat. */
  naive: PredictionError;
  byFrequency: FrequencyRow[];
}

export function predictionError(predicted: ArrayLike<number>, actual: ArrayLike<number>): PredictionError {
  let absolute = 0;
  let squared = 0;
  let predictedTotal = 0;
  let actualTotal = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = predicted[i] - actual[i];
    absolute += Math.abs(error);
    squared += error * error;
    predictedTotal += predicted[i];
    actualTotal += actual[i];
  }
  const n = Math.max(actual.length, 1);
  return {
    meanAbsoluteError: absolute / n,
    rootMeanSquaredError: Math.sqrt(squared / n),
    predictedTotal,
    actualTotal,
    totalError: actualTotal > 0 ? (predictedTotal - actualTotal) / actualTotal : NaN,
  };
}

/**
 * Fits each model on the transactions up to `calibrationEnd` and predicts, per customer of that calibration cohort,
 * the repeat purchases (distinct purchase days) in (calibrationEnd, observationEnd]; customers whose first purchase
 * falls in the holdout period have no history to predict from and are left out.
 */
export function holdoutValidation(
  transactions: readonly Transaction[],
  options: { calibrationEnd: string; observationEnd: string; unit: TimeUnit; models?: readonly ModelName[] },
): HoldoutReport {
  const { calibrationEnd, observationEnd, unit } = options;
  const calibration = observationWindow(calibrationEnd);
  const observation = observationWindow(observationEnd);
  if (observation.day <= calibration.day) throw new RangeError(`observation end (${observationEnd}) must be after the calibration end (${calibrationEnd})`);
  const holdoutLength = (observation.day - calibration.day) / UNIT_DAYS[unit];
  const customers: CustomerSummary[] = summarise(transactions, calibrationEnd, unit);
  const holdoutDays = new Map<string, Set<number>>();
  for (const t of transactions) {
    const ms = Date.parse(t.at);
    if (ms <= calibration.lastMs || ms > observation.lastMs) continue;
    let days = holdoutDays.get(t.customerId);
    if (!days) holdoutDays.set(t.customerId, (days = new Set()));
    days.add(Math.floor(ms / DAY_MS));
  }
  const actual = Float64Array.from(customers, (c) => holdoutDays.get(c.customerId)?.size ?? 0);
  const models = (options.models ?? MODEL_NAMES).map((model): HoldoutModel & { predicted: Float64Array } => {
    const fit = fitPurchaseModel(model, customers);
    const predicted = Float64Array.from(customers, (c) => expectedPurchases(model, fit.params, c, holdoutLength));
    return { model, fit, predicted, ...predictionError(predicted, actual) };
  });
  const naive = predictionError(
    Float64Array.from(customers, (c) => (c.T > 0 ? (c.x / c.T) * holdoutLength : 0)),
    actual,
  );
  const rows = new Map<string, { customers: number; actual: number; predicted: Record<string, number> }>();
  customers.forEach((c, i) => {
    const key = c.x >= 7 ? '7+' : String(c.x);
    const row = rows.get(key) ?? { customers: 0, actual: 0, predicted: Object.fromEntries(models.map((m) => [m.model, 0])) };
    rows.set(key, row);
    row.customers++;
    row.actual += actual[i];
    for (const m of models) row.predicted[m.model] += m.predicted[i];
  });
  const byFrequency = [...rows.entries()]
    .sort(([a], [b]) => parseInt(a, 10) - parseInt(b, 10))
    .map(([x, row]) => ({
      x,
      customers: row.customers,
      actual: row.actual / row.customers,
      predicted: Object.fromEntries(Object.entries(row.predicted).map(([model, sum]) => [model, sum / row.customers])),
    }));
  return {
    calibrationEnd,
    observationEnd,
    unit,
    holdoutLength,
    customers: customers.length,
    repeatBuyers: customers.filter((c) => c.x > 0).length,
    models: models.map(({ predicted: _predicted, ...rest }) => rest),
    naive,
    byFrequency,
  };
}
