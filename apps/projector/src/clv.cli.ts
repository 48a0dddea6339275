import { readFileSync, writeFileSync } from 'node:fs';
import {
  clv,
  expectedPurchases,
  expectedValuePerPurchase,
  fitBgModel,
  fitGammaGamma,
  holdoutValidation,
  isoTime,
  MODEL_NAMES,
  NotIdentifiable,
  pAlive,
  parseTransactions,
  summarise,
  TIME_UNITS,
  TransactionFileError,
  TRANSACTION_FORMATS,
  type BgFit,
  type CustomerSummary,
  type FitResult,
  type GammaGammaParams,
  type HoldoutReport,
  type ModelName,
  type TimeUnit,
  type Transaction,
  type TransactionFormat,
} from '../../../libs/clv/src';

const USAGE = `usage: npm run clv -- <command> --input <file> --format cdnow|csv --unit day|week|month [options]
  fit      --observation-end <date> [--model bgnbd|mbgnbd] [--json]
           fits the model (default bgnbd) and the Gamma-Gamma value model on the transactions up to and including
           the observation end; prints parameters, log-likelihood, standard errors and convergence (--json: one object)
  predict  --observation-end <date> --horizon <n> --output <csv> [--model bgnbd|mbgnbd] [--margin 0.3] [--discount-rate 0.1]
           writes customer_id,x,t_x,T,p_alive,expected_purchases,expected_value,clv per customer: P(alive) at the
           observation end, expected purchases and discounted CLV over the next <n> whole units, the Gamma-Gamma value
           per purchase; margin 0..1 (default 0.3), annual discount rate (default 0.1, turned into a per-unit rate)
  holdout  --calibration-end <date> --observation-end <date> [--json]
           fits both models up to the calibration end and compares their predicted repeat purchases per customer
           with the actual ones up to the observation end
Formats: cdnow = the CDNOW files (sample: customer = second column; master: header, customer first column);
csv = customer_id,date,amount with that header, ISO 8601 dates, amounts in major units. No database is needed.`;

type Command = 'fit' | 'predict' | 'holdout';
interface Args {
  command: Command;
  input: string;
  format: TransactionFormat;
  unit: TimeUnit;
  observationEnd: string;
  calibrationEnd?: string;
  model: ModelName;
  json: boolean;
  horizon?: number;
  output?: string;
  margin: number;
  discountRate: number;
}

const OPTIONS: Record<Command, string[]> = {
  fit: ['--input', '--format', '--unit', '--observation-end', '--model', '--json'],
  predict: ['--input', '--format', '--unit', '--observation-end', '--model', '--horizon', '--output', '--margin', '--discount-rate'],
  holdout: ['--input', '--format', '--unit', '--calibration-end', '--observation-end', '--json'],
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The arguments, or a message naming the one that is wrong. */
export function parseArgs(argv: string[]): Args | string {
  const [command, ...rest] = argv;
  if (command !== 'fit' && command !== 'predict' && command !== 'holdout') return command ? `unknown command "${command}"` : 'give a command: fit, predict or holdout';
  const values = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i];
    if (!OPTIONS[command].includes(option)) return `${command} takes no option ${option}`;
    if (option === '--json') {
      values.set(option, 'true');
      continue;
    }
    const value = rest[++i];
    if (value === undefined || value.startsWith('--')) return `${option} needs a value`;
    values.set(option, value);
  }
  const required = OPTIONS[command].filter((o) => !['--model', '--json', '--margin', '--discount-rate'].includes(o));
  const missing = required.filter((o) => !values.has(o));
  if (missing.length) return `missing ${missing.join(', ')}`;
  const format = values.get('--format') as TransactionFormat;
  if (!TRANSACTION_FORMATS.includes(format)) return `--format must be cdnow or csv, got "${format}"`;
  const unit = values.get('--unit') as TimeUnit;
  if (!TIME_UNITS.includes(unit)) return `--unit must be day, week or month, got "${unit}"`;
  const model = (values.get('--model') ?? 'bgnbd') as ModelName;
  if (!MODEL_NAMES.includes(model)) return `--model must be bgnbd or mbgnbd, got "${model}"`;
  for (const option of ['--observation-end', '--calibration-end']) {
    const value = values.get(option);
    if (value !== undefined && (!DATE.test(value) || Number.isNaN(isoTime(value)))) return `${option} must be a date such as 1997-09-30, got "${value}"`;
  }
  const args: Args = {
    command,
    input: values.get('--input')!,
    format,
    unit,
    model,
    observationEnd: values.get('--observation-end')!,
    calibrationEnd: values.get('--calibration-end'),
    json: values.has('--json'),
    output: values.get('--output'),
    margin: 0.3,
    discountRate: 0.1,
  };
  if (args.calibrationEnd !== undefined && args.calibrationEnd >= args.observationEnd) {
    return `--calibration-end (${args.calibrationEnd}) must be before --observation-end (${args.observationEnd})`;
  }
  if (values.has('--horizon')) {
    const horizon = Number(values.get('--horizon'));
    if (!Number.isInteger(horizon) || horizon < 1 || horizon > 100_000) return `--horizon must be a whole number of ${unit}s from 1, got "${values.get('--horizon')}"`;
    args.horizon = horizon;
  }
  if (values.has('--margin')) {
    args.margin = Number(values.get('--margin'));
    if (!(args.margin >= 0 && args.margin <= 1)) return `--margin must be a share from 0 to 1 (0.3 is 30%), got "${values.get('--margin')}"`;
  }
  if (values.has('--discount-rate')) {
    args.discountRate = Number(values.get('--discount-rate'));
    if (!(args.discountRate >= 0 && args.discountRate < 10)) return `--discount-rate must be an annual rate from 0 (0.1 is 10% a year), got "${values.get('--discount-rate')}"`;
  }
  return args;
}

const num = (value: number, digits: number): string => (Number.isFinite(value) ? String(Number(value.toFixed(digits))) : String(value));
const thousands = (n: number): string => n.toLocaleString('en-US');
const LABEL: Record<ModelName, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD' };

function table(rows: [string, number, number][], note: Record<string, string> = {}): string[] {
  return [
    '  parameter   estimate     std. error',
    ...rows.map(([name, value, se]) => `  ${name.padEnd(10)}  ${num(value, 4).padEnd(11)}  ${num(se, 4)}${note[name] ? `  ${note[name]}` : ''}`),
  ];
}

function fitReport(fit: BgFit, gamma: FitResult<GammaGammaParams> | string, args: Args): string {
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

function holdoutReport(report: HoldoutReport): string {
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

function predictions(fit: BgFit, gamma: GammaGammaParams, customers: CustomerSummary[], args: Args & { horizon: number }): string {
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

function readTransactions(args: Args): Transaction[] | string {
  let text: string;
  try {
    text = readFileSync(args.input, 'utf8');
  } catch (error) {
    return `--input: cannot read ${args.input}: ${(error as Error).message}`;
  }
  try {
    return parseTransactions(text, args.format);
  } catch (error) {
    if (error instanceof TransactionFileError) return `--input ${args.input} (--format ${args.format}) ${error.message}`;
    throw error;
  }
}

/** `npm run clv -- fit --input test/fixtures/cdnow/CDNOW_sample.txt --format cdnow --observation-end 1997-09-30 --unit week`. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  const transactions = readTransactions(args);
  if (typeof transactions === 'string') {
    console.error(transactions);
    return 2;
  }
  try {
    if (args.command === 'holdout') {
      const report = holdoutValidation(transactions, { calibrationEnd: args.calibrationEnd!, observationEnd: args.observationEnd, unit: args.unit });
      console.log(args.json ? JSON.stringify({ ...report, models: report.models.map(({ fit, ...m }) => ({ ...m, params: fit.params, logLikelihood: fit.logLikelihood })) }) : holdoutReport(report));
      return 0;
    }
    const customers = summarise(transactions, args.observationEnd, args.unit);
    const fit = fitBgModel(args.model, customers);
    let gamma: FitResult<GammaGammaParams> | string;
    try {
      gamma = fitGammaGamma(customers);
    } catch (error) {
      if (!(error instanceof NotIdentifiable) || args.command === 'predict') throw error;
      gamma = error.message;
    }
    if (args.command === 'fit') {
      if (!args.json) console.log(fitReport(fit, gamma, args));
      else {
        const gg = typeof gamma === 'string' ? null : gamma;
        console.log(
          JSON.stringify({
            model: fit.model,
            params: fit.params,
            logLikelihood: fit.logLikelihood,
            standardErrors: fit.standardErrors,
            gammaGamma: gg && gg.params,
            unit: args.unit,
            observationEnd: args.observationEnd,
            customers: fit.customers,
            repeatBuyers: fit.repeatBuyers,
            converged: fit.converged,
            method: fit.method,
            iterations: fit.iterations,
            gammaGammaFit: gg ? { logLikelihood: gg.logLikelihood, standardErrors: gg.standardErrors, converged: gg.converged, customers: gg.repeatBuyers } : { error: gamma },
          }),
        );
      }
      return 0;
    }
    writeFileSync(args.output!, predictions(fit, (gamma as FitResult<GammaGammaParams>).params, customers, { ...args, horizon: args.horizon! }));
    console.log(
      `wrote ${thousands(customers.length)} customers to ${args.output}: ${LABEL[fit.model]} (converged: ${fit.converged ? 'yes' : 'NO'}), horizon ${args.horizon} ${args.unit}s ` +
        `after ${args.observationEnd}, margin ${args.margin}, annual discount rate ${args.discountRate}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof NotIdentifiable) {
      console.error(`cannot fit: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
