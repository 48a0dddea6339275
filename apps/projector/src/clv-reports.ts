import {
  clv,
  expectedPurchases,
  expectedValuePerPurchase,
  pAlive,
  type BgFit,
  type CustomerSummary,
  type FitResult,
  type GammaGammaParams,
  type HoldoutReport,
  type ModelName,
} from '../../../libs/clv/src';
import type { Args } from './clv-arguments';

/* What `npm run clv` prints and writes: parameter tables, the holdout comparison, and the predictions CSV. */

const num = (value: number, digits: number): string => (Number.isFinite(value) ? String(Number(value.toFixed(digits))) : String(value));
export const thousands = (n: number): string => n.toLocaleString('en-US');
export const LABEL: Record<ModelName, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD' };

function table(rows: [string, number, number][], note: Record<string, string> = {}): string[] {
  return [
    '  parameter   estimate     std. error',
    ...rows.map(([name, value, se]) => `  ${name.padEnd(10)}  ${num(value, 4).padEnd(11)}  ${num(se, 4)}${note[name] ? `  ${note[name]}` : ''}`),
  ];
}

export function fitReport(fit: BgFit, gamma: FitResult<GammaGammaParams> | string, args: Args): string {
  const { params: p, standardErrors: se } = fit;
  const lines = [
    `${LABEL[fit.model]} on ${thousands(fit.customers)} customers (${thousands(fit.repeatBuyers)} repeat buyers), unit ${args.unit}, transactions up to ${args.observationEnd}`,
    ...table(
      [
        ['r', p.r, se.r],
        ['alpha', p.alpha, se.alpha],
        ['a', p.a, se.a],
        ['b', p.b, se.b],
      ],
      { alpha: `(${args.unit}s)` },
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
    '  model      MAE/customer  RMSE     predicted total  actual total  total error',
    ...[...report.models.map((m) => [m.model, m] as const), ['naive x/T', report.naive] as const].map(
      ([name, e]) =>
        `  ${name.padEnd(9)}  ${num(e.meanAbsoluteError, 4).padEnd(12)}  ${num(e.rootMeanSquaredError, 4).padEnd(7)}  ${num(e.predictedTotal, 1).padEnd(15)}  ` +
        `${String(e.actualTotal).padEnd(12)}  ${(e.totalError * 100).toFixed(1)}%`,
    ),
    'mean holdout repeat purchases per customer by calibration repeat purchases x:',
    `  x    customers  actual  ${models.map((m) => m.padEnd(7)).join('  ')}`,
    ...report.byFrequency.map(
      (row) => `  ${row.x.padEnd(3)}  ${String(row.customers).padEnd(9)}  ${num(row.actual, 3).padEnd(6)}  ${models.map((m) => num(row.predicted[m], 3).padEnd(7)).join('  ')}`,
    ),
  ].join('\n');
}

const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function predictions(fit: BgFit, gamma: GammaGammaParams, customers: CustomerSummary[], args: Args & { horizon: number }): string {
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
