import { DEFAULT_CHURN_CONFIG } from './churn-config';
import { candidatesOf, rankCandidates, type ModelCandidate } from './model-choice';

const checked = (model: ModelCandidate['model'], meanAbsoluteError: number | null, rootMeanSquareError: number | null = 1): ModelCandidate => ({
  model,
  meanAbsoluteError,
  rootMeanSquareError,
  predictedTrips: null,
  actualTrips: null,
  calibrationLogLikelihood: null,
  ...(meanAbsoluteError === null ? { error: 'too few repeat buyers' } : {}),
});
const byHoldout = DEFAULT_CHURN_CONFIG.model;

describe('the churn model choice', () => {
  it('checks the named model alone, or every candidate (all three when an old config has no list)', () => {
    expect(candidatesOf({ ...byHoldout, name: 'bgnbd' })).toEqual(['bgnbd']);
    expect(candidatesOf(byHoldout)).toEqual(['bgnbd', 'mbgnbd', 'pareto-nbd']);
    expect(candidatesOf({ name: 'by-holdout', unit: 'month', holdoutMonths: 12 })).toEqual(['bgnbd', 'mbgnbd', 'pareto-nbd']);
    expect(candidatesOf({ ...byHoldout, candidates: ['pareto-nbd', 'bgnbd'] })).toEqual(['pareto-nbd', 'bgnbd']);
  });

  it('uses the named model whatever the holdout says', () => {
    expect(rankCandidates({ ...byHoldout, name: 'mbgnbd' }, [checked('mbgnbd', 0.9)])).toEqual({ rule: 'configured', order: ['mbgnbd'] });
  });

  it('otherwise orders by mean absolute error (0.61 < 0.62 < 0.70), ties by RMSE then the list, unchecked ones last', () => {
    expect(rankCandidates(byHoldout, [checked('bgnbd', 0.7), checked('mbgnbd', 0.62), checked('pareto-nbd', 0.61)])).toEqual({
      rule: 'lowest-holdout-error',
      order: ['pareto-nbd', 'mbgnbd', 'bgnbd'],
    });
    expect(rankCandidates(byHoldout, [checked('bgnbd', 0.6, 1.2), checked('mbgnbd', 0.6, 1.1), checked('pareto-nbd', 0.6, 1.1)]).order).toEqual(['mbgnbd', 'pareto-nbd', 'bgnbd']);
    expect(rankCandidates(byHoldout, [checked('bgnbd', null), checked('mbgnbd', 0.8), checked('pareto-nbd', null)]).order).toEqual(['mbgnbd', 'bgnbd', 'pareto-nbd']);
  });

  it('with no candidate checked (too little history before the holdout), the list order decides and says so', () => {
    expect(rankCandidates(byHoldout, [checked('bgnbd', null), checked('mbgnbd', null), checked('pareto-nbd', null)])).toEqual({
      rule: 'first-that-fits',
      order: ['bgnbd', 'mbgnbd', 'pareto-nbd'],
    });
  });
});
