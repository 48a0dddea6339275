import { readFileSync, writeFileSync } from 'node:fs';
import { BY_HOLDOUT, rankCandidates, type ChurnConfig } from '../../../libs/churn/src';
import {
  fitGammaGamma,
  fitPurchaseModel,
  MODEL_NAMES,
  observationWindow,
  holdoutValidation,
  NotIdentifiable,
  parseTransactions,
  summarise,
  TransactionFileError,
  type FitResult,
  type GammaGammaParams,
  type Transaction,
} from '../../../libs/clv/src';
import { parseArgs, USAGE, type Args } from './clv-arguments';
import { checkCandidates } from '../../../projections/churn/churn-holdout';
import { compareReport, fitReport, holdoutReport, LABEL, predictions, thousands } from './clv-reports';

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
    if (args.command === 'compare') {
      const comparison = compare(transactions, args);
      console.log(args.json ? JSON.stringify(comparison) : compareReport(comparison));
      return 0;
    }
    const customers = summarise(transactions, args.observationEnd, args.unit);
    const fit = fitPurchaseModel(args.model, customers);
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

/**
 * The engine's churn-model choice (projections/churn, libs/churn model-choice.ts) on a file: the same holdout checks
 * and the same rule, with the observation end's last instant as the cut-off.
 */
function compare(transactions: Transaction[], args: Args) {
  const cutoff = observationWindow(args.observationEnd).lastMs;
  const model: ChurnConfig['model'] = { name: BY_HOLDOUT, candidates: [...MODEL_NAMES], unit: args.unit, holdoutMonths: args.holdoutMonths };
  const { candidates, checks } = checkCandidates(transactions, model, cutoff);
  const { rule, order } = rankCandidates(model, candidates);
  const [check] = checks.values();
  return {
    cutoff: new Date(cutoff).toISOString(),
    calibrationEnd: check?.calibrationEnd ?? '',
    unit: args.unit,
    customers: check?.customers ?? 0,
    rule,
    chosen: candidates.some((c) => c.error === undefined) ? order[0] : null,
    candidates,
  };
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
