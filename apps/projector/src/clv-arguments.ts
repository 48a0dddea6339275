import { isoTime, MODEL_NAMES, TIME_UNITS, TRANSACTION_FORMATS, type ModelName, type TimeUnit, type TransactionFormat } from '../../../libs/clv/src';

/* The command line of `npm run clv`: what each command takes, checked before any file is read. */

export const USAGE = `usage: npm run clv -- <command> --input <file> --format cdnow|csv --unit day|week|month [options]
  fit      --observation-end <date> [--model bgnbd|mbgnbd|pareto-nbd] [--json]
           fits the model (default bgnbd) and the Gamma-Gamma value model on the transactions up to and including
           the observation end; prints parameters, log-likelihood, standard errors and convergence (--json: one object)
  predict  --observation-end <date> --horizon <n> --output <csv> [--model bgnbd|mbgnbd|pareto-nbd] [--margin 0.3] [--discount-rate 0.1]
           writes customer_id,x,t_x,T,p_alive,expected_purchases,expected_value,clv per customer: P(alive) at the
           observation end, expected purchases and discounted CLV over the next <n> whole units, the Gamma-Gamma value
           per purchase; margin 0..1 (default 0.3), annual discount rate (default 0.1, turned into a per-unit rate)
  holdout  --calibration-end <date> --observation-end <date> [--json]
           fits every model up to the calibration end and compares their predicted repeat purchases per customer
           with the actual ones up to the observation end
  compare  --observation-end <date> [--holdout-months 12] [--json]
           the engine's churn-model choice on the file: each model fitted up to <holdout-months> calendar months
           before the observation end and checked on those months; the one with the lowest mean absolute error wins
Formats: cdnow = the CDNOW files (sample: customer = second column; master: header, customer first column);
csv = customer_id,date,amount with that header, ISO 8601 dates, amounts in major units. No database is needed.`;

type Command = 'fit' | 'predict' | 'holdout' | 'compare';
export interface Args {
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
  /** compare: calendar months held out before the observation end, as the engine's churn config's model.holdoutMonths. */
  holdoutMonths: number;
  margin: number;
  discountRate: number;
}

const OPTIONS: Record<Command, string[]> = {
  fit: ['--input', '--format', '--unit', '--observation-end', '--model', '--json'],
  predict: ['--input', '--format', '--unit', '--observation-end', '--model', '--horizon', '--output', '--margin', '--discount-rate'],
  holdout: ['--input', '--format', '--unit', '--calibration-end', '--observation-end', '--json'],
  compare: ['--input', '--format', '--unit', '--observation-end', '--holdout-months', '--json'],
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The arguments, or a message naming the one that is wrong. */
export function parseArgs(argv: string[]): Args | string {
  const [command, ...rest] = argv;
  if (command !== 'fit' && command !== 'predict' && command !== 'holdout' && command !== 'compare') {
    return command ? `unknown command "${command}"` : 'give a command: fit, predict, holdout or compare';
  }
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
  const required = OPTIONS[command].filter((o) => !['--model', '--json', '--margin', '--discount-rate', '--holdout-months'].includes(o));
  const missing = required.filter((o) => !values.has(o));
  if (missing.length) return `missing ${missing.join(', ')}`;
  const format = values.get('--format') as TransactionFormat;
  if (!TRANSACTION_FORMATS.includes(format)) return `--format must be cdnow or csv, got "${format}"`;
  const unit = values.get('--unit') as TimeUnit;
  if (!TIME_UNITS.includes(unit)) return `--unit must be day, week or month, got "${unit}"`;
  const model = (values.get('--model') ?? 'bgnbd') as ModelName;
  if (!MODEL_NAMES.includes(model)) return `--model must be one of ${MODEL_NAMES.join(', ')}, got "${model}"`;
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
    holdoutMonths: 12,
  };
  if (args.calibrationEnd !== undefined && args.calibrationEnd >= args.observationEnd) {
    return `--calibration-end (${args.calibrationEnd}) must be before --observation-end (${args.observationEnd})`;
  }
  if (values.has('--horizon')) {
    const horizon = Number(values.get('--horizon'));
    if (!Number.isInteger(horizon) || horizon < 1 || horizon > 100_000) return `--horizon must be a whole number of ${unit}s from 1, got "${values.get('--horizon')}"`;
    args.horizon = horizon;
  }
  if (values.has('--holdout-months')) {
    args.holdoutMonths = Number(values.get('--holdout-months'));
    if (!Number.isInteger(args.holdoutMonths) || args.holdoutMonths < 1 || args.holdoutMonths > 120) return `--holdout-months must be a whole number from 1 to 120, got "${values.get('--holdout-months')}"`;
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
