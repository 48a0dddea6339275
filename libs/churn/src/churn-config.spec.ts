import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from '../../config/src';
import { churnConfig, DEFAULT_CHURN_CONFIG, loadChurnConfig } from './churn-config';

const problemsWith = (override: unknown): string[] => {
  try {
    churnConfig(override);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    return error.message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('the config was accepted');
};

describe('churnConfig', () => {
  it('accepts the defaults and merges an override key by key', () => {
    expect(churnConfig()).toEqual(DEFAULT_CHURN_CONFIG);
    const config = churnConfig({ version: 'v2', weights: { detractor: 20 }, model: { unit: 'week' } });
    expect(config.weights).toEqual({ ...DEFAULT_CHURN_CONFIG.weights, detractor: 20 });
    expect(config.model).toEqual({ name: 'by-holdout', candidates: ['bgnbd', 'mbgnbd', 'pareto-nbd'], unit: 'week', holdoutMonths: 12 });
    expect(DEFAULT_CHURN_CONFIG.weights.detractor).toBe(15);
  });

  it('names every wrong entry', () => {
    expect(problemsWith({ weights: { detractor: 20 } })).toEqual(['version: a config that changes the defaults must name its version (recorded with every fit)']);
    expect(problemsWith({ version: 'v2', weights: { detractor: -5, vibes: 3 }, bands: { medium: 70, high: 60 }, model: { name: 'pareto', unit: 'fortnight' } })).toEqual([
      'model.name: must be one of by-holdout, bgnbd, mbgnbd, pareto-nbd (got "pareto")',
      'model.unit: must be day, week or month (got "fortnight")',
      'weights.vibes: unknown key (known: dropout, overdueComplaint, unresolvedComplaint, detractor, noContactAfterReturn, recentCancellation)',
      'weights.detractor: must not be negative (got -5)',
      'bands.high: must be above bands.medium (70), got 60',
    ]);
    expect(problemsWith({ version: 'v2', weights: { detractor: 12.5 } })).toEqual(['weights.detractor: must be a whole number (got 12.5)']);
    expect(problemsWith({ version: 'v2', complaintDeadlineHours: { urgent: 1, high: 0 } })).toEqual([
      'complaintDeadlineHours.urgent: unknown severity (known: low, medium, high, critical)',
      'complaintDeadlineHours.high: must be above 0 (got 0)',
    ]);
    expect(problemsWith({ version: 'v2', loyalty: {} })).toEqual([expect.stringMatching(/^loyalty: unknown key \(known: version, model, /)]);
  });

  it('keeps configs from before issue 19 valid: a named model stays the model; candidates must be known and different', () => {
    expect(churnConfig({ version: 'ops-1', model: { name: 'bgnbd', unit: 'week', holdoutMonths: 6 } }).model.name).toBe('bgnbd');
    expect(churnConfig({ version: 'ops-2', model: { name: 'pareto-nbd' } }).model.name).toBe('pareto-nbd');
    expect(churnConfig({ version: 'ops-3', model: { candidates: ['bgnbd', 'pareto-nbd'] } }).model).toMatchObject({ name: 'by-holdout', candidates: ['bgnbd', 'pareto-nbd'] });
    expect(problemsWith({ version: 'v2', model: { candidates: ['bgnbd', 'bgnbd'] } })).toEqual([
      'model.candidates: must be a list of different models from bgnbd, mbgnbd, pareto-nbd (got ["bgnbd","bgnbd"])',
    ]);
    expect(problemsWith({ version: 'v2', model: { candidates: [] } })).toEqual(['model.candidates: must be a list of different models from bgnbd, mbgnbd, pareto-nbd (got [])']);
  });

  it('reads CHURN_CONFIG and names the variable and file in its errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'churn-config-'));
    try {
      const file = join(dir, 'churn.json');
      writeFileSync(file, JSON.stringify({ version: 'ops-1', clv: { margin: 0.2 } }));
      expect(loadChurnConfig(file).clv).toEqual({ horizonMonths: 36, margin: 0.2, annualDiscountRate: 0.1 });
      writeFileSync(file, '{ nope');
      expect(() => loadChurnConfig(file)).toThrow(new RegExp(`^CHURN_CONFIG=${file}: not valid JSON`));
      writeFileSync(file, JSON.stringify({ version: 'x', clv: { margin: 2 } }));
      expect(() => loadChurnConfig(file)).toThrow(`CHURN_CONFIG=${file} is invalid:\n  - clv.margin: must be at most 1 (got 2)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
