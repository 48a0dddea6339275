import { fitBgModel, type BgFit } from './bg-fit';
import { bgExpectedPurchasesAt, bgPAlive, type BgParams, type History } from './bg-models';
import { fitParetoNbd, type ParetoFit } from './pareto-fit';
import { paretoExpectedPurchasesAt, paretoPAlive, type ParetoParams } from './pareto-nbd';

/**
 * The buy-till-you-die models by name: BG/NBD and MBG/NBD (bg-models.ts) and Pareto/NBD (pareto-nbd.ts). Whoever holds
 * a fit (the engine's churn model, the command line, CLV) calls these and never needs to know which model it is.
 */
export type ModelName = 'bgnbd' | 'mbgnbd' | 'pareto-nbd';
export const MODEL_NAMES: readonly ModelName[] = ['bgnbd', 'mbgnbd', 'pareto-nbd'];
export const MODEL_LABELS: Record<ModelName, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD', 'pareto-nbd': 'Pareto/NBD' };

/** BG/NBD and MBG/NBD: r, alpha, a, b. Pareto/NBD: r, alpha, s, beta. */
export type ModelParams = BgParams | ParetoParams;
export type ModelFit = BgFit | ParetoFit;

export const isModelName = (name: unknown): name is ModelName => MODEL_NAMES.includes(name as ModelName);

function paretoParams(model: ModelName, params: ModelParams): ParetoParams | null {
  const pareto = model === 'pareto-nbd';
  // Parameters of one model given to another would give numbers that mean nothing: refuse instead.
  if (pareto !== 's' in params) throw new RangeError(`${MODEL_LABELS[model] ?? String(model)} takes ${pareto ? 'r, alpha, s, beta' : 'r, alpha, a, b'}, got ${Object.keys(params).join(', ')}`);
  return pareto ? (params as ParetoParams) : null;
}

/** Maximum-likelihood fit of the named model (NotIdentifiable when the data cannot pin it down). */
export function fitPurchaseModel(model: ModelName, customers: readonly History[], options: { maxIterations?: number } = {}): ModelFit {
  if (model === 'pareto-nbd') return fitParetoNbd(customers, options);
  if (model === 'bgnbd' || model === 'mbgnbd') return fitBgModel(model, customers, options);
  throw new RangeError(`model must be one of ${MODEL_NAMES.join(', ')}, got "${String(model)}"`);
}

/** P(alive at T | x, tx, T). */
export function pAlive(model: ModelName, params: ModelParams, c: History): number {
  const pareto = paretoParams(model, params);
  return pareto ? paretoPAlive(pareto, c) : bgPAlive(model as BgFit['model'], params as BgParams, c);
}

/** E[purchases in (T, T + t] | x, tx, T] at each of the times (in the model's unit), sharing the per-customer work. */
export function expectedPurchasesAt(model: ModelName, params: ModelParams, c: History, times: ArrayLike<number>): Float64Array {
  const pareto = paretoParams(model, params);
  return pareto ? paretoExpectedPurchasesAt(pareto, c, times) : bgExpectedPurchasesAt(model as BgFit['model'], params as BgParams, c, times);
}

/** Expected purchases in (T, T + t] for a customer with history (x, tx, T), in the model's unit. */
export function expectedPurchases(model: ModelName, params: ModelParams, c: History, t: number): number {
  return expectedPurchasesAt(model, params, c, [t])[0];
}
