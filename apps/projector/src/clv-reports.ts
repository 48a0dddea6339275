import type { ChoiceRule, ModelCandidate } from '../../../libs/churn/src';
import {
  clv,
  expectedPurchases,
  expectedValuePerPurchase,
  MODEL_LABELS,
  pAlive,
  type CustomerSummary,
  type FitResult,
  type GammaGammaParams,
  type HoldoutReport,
  type ModelFit,
} from '../../../libs/clv/src';
import type { Args } from './clv-arguments';

/* What `npm run clv` prints and writes: parameter tables, the holdout comparison, and the predictions CSV. */

const num = (value: number, digits: number): string => (Number.isFinite(value) ? String(Number(value.toFixed(digits))) : String(value));
export const thousands = (n: number): string => n.toLocaleString('en-US');
export const LABEL = MODEL_LABELS;

function table(rows: [string, number, number][], note: Record<string, string> = {}): string[] {
  return [
    '  parameter   estimate     std. error',
    ...rows.map(([name, value, se]) => `  ${name.padEnd(10)}  ${num(value, 4).padEnd(11)}  ${num(se, 4)}${note[name] ? `  ${note[name]}` : ''}`),
  ];
}

export function fitReport(fit: ModelFit, gamma: FitResult<GammaGammaParams> | string, args: Args): string {
  const p = fit.params as unknown as Record<string, number>;
  const se = fit.standardErrors as unknown as Record<string, number>;
  const names = fit.model === 'pareto-nbd' ? ['r', 'alpha', 's', 'beta'] : ['r', 'alpha', 'a', 'b'];
  const lines = [
    `${LABEL[fit.model]} on ${thousands(fit.customers)} customers (${thousands(fit.repeatBuyers)} repeat buyers), unit ${args.unit}, transactions up to ${args.observationEnd}`,
    ...table(
      names.map((name) => [name, p[name], se[name]]),
      { alpha: `(${args.unit}s)`, beta: `(${args.unit}s)` },
    ),
    `  log-likelihood  ${num(fit.logLikelihood, 4)}`,
    `  converged: ${fit.converged ? 'yes' : 'NO'} (${fit.method}, ${fit.iterations} iterations)`,
  ];
  if (typeof gamma === 'string') return [...lines, `Gamma-Gamma value per purchase: not fitted: ${gamma}`].join('\n');
  return [
    ...lines,
    `Gamma-Gamma value per purchase on ${thousands(gamma.repeatBuyers)} repeat buyers (mean amount of their repeat purchase days)`,
    ...table([
      ['p', gamma.params.p, gamma.standardErrors.p],
      ['q', gamma.params.q, gamma.standardErrors.q],
      ['v', gamma.params.v, gamma.standardErrors.v],
    ]),
    `  log-likelihood  ${num(gamma.logLikelihood, 4)}`,
    `  converged: ${gamma.converged ? 'yes' : 'NO'} (${gamma.method}, ${gamma.iterations} iterations)`,
  ].join('\n');
}

export function holdoutReport(report: HoldoutReport): string {
  const models = report.models.map((m) => m.model);
  return [
    `holdout: fitted on ${thousands(report.customers)} customers (${thousands(report.repeatBuyers)} repeat buyers) up to ${report.calibrationEnd}, ` +
      `predicting ${num(report.holdoutLength, 4)} ${report.unit}s to ${report.observationEnd}`,
    '  model       MAE/customer  RMSE     predicted total  actual total  total error',
    ...[...report.models.map((m) => [m.model, m] as const), ['naive x/T', report.naive] as const].map(
      ([name, e]) =>
        `  ${name.padEnd(10)}  ${num(e.meanAbsoluteError, 4).padEnd(12)}  ${num(e.rootMeanSquaredError, 4).padEnd(7)}  ${num(e.predictedTotal, 1).padEnd(15)}  ` +
        `${String(e.actualTotal).padEnd(12)}  ${(e.totalError * 100).toFixed(1)}%`,
    ),
    'mean holdout repeat purchases per customer by calibration repeat purchases x:',
    `  x    customers  actual  ${models.map((m) => m.padEnd(7)).join('  ')}`,
    ...report.byFrequency.map(
      (row) => `  ${row.x.padEnd(3)}  ${String(row.customers).padEnd(9)}  ${num(row.actual, 3).padEnd(6)}  ${models.map((m) => num(row.predicted[m], 3).padEnd(7)).join('  ')}`,
    ),
  ].join('\n');
}

/** The engine's churn-model choice (`compare`): each candidate's holdout check, the chosen one marked. */
export function compareReport(comparison: { cutoff: string; calibrationEnd: string; customers: number; rule: ChoiceRule; chosen: string | null; candidates: ModelCandidate[] }): string {
  const figure = (value: number | null, digits: number): string => (value === null ? '-' : num(value, digits));
  return [
    `model choice as the engine's churn fit makes it: fitted up to ${comparison.calibrationEnd} on ${thousands(comparison.customers)} customers, ` +
      `checked on their repeat purchases up to ${comparison.cutoff}`,
    '  model        MAE/customer  RMSE     predicted  actual  calibration LL',
    ...comparison.candidates.map(
      (c) =>
        `  ${LABEL[c.model].padEnd(11)}  ${figure(c.meanAbsoluteError, 4).padEnd(12)}  ${figure(c.rootMeanSquareError, 4).padEnd(7)}  ${figure(c.predictedTrips, 1).padEnd(9)}  ` +
        `${figure(c.actualTrips, 0).padEnd(6)}  ${figure(c.calibrationLogLikelihood, 2)}${c.model === comparison.chosen ? '  <- chosen' : ''}${c.error ? `  not identified: ${c.error}` : ''}`,
    ),
    comparison.chosen
      ? `chosen: ${LABEL[comparison.chosen as ModelFit['model']]} (${comparison.rule === 'lowest-holdout-error' ? 'lowest mean absolute error on the holdout' : 'no candidate could be checked: the first one the data identify'})`
      : 'chosen: none, the data identify no candidate',
  ].join('\n');
}

const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function predictions(fit: ModelFit, gamma: GammaGammaParams, customers: CustomerSummary[], args: Args & { horizon: number }): string {
  const options = { horizon: args.horizon, margin: args.margin, annualDiscountRate: args.discountRate, unit: args.unit };
  const lines = ['customer_id,x,t_x,T,p_alive,expected_purchases,expected_value,clv'];
  for (const c of customers) {
    const value = expectedValuePerPurchase(gamma, c);
    lines.push(
      [
        csvField(c.customerId),
        c.x,
        num(c.tx, 6),
        num(c.T, 6),
        num(pAlive(fit.model, fit.params, c), 6),
        num(expectedPurchases(fit.model, fit.params, c, args.horizon), 6),
        num(value, 4),
        num(clv(fit.model, fit.params, value, c, options), 4),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
