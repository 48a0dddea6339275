import { fitBgModel } from './bg-fit';
import { fitGammaGamma } from './gamma-gamma';
import { MIN_CUSTOMERS, MIN_REPEAT_BUYERS, NotIdentifiable } from './maximum-likelihood';

/** Issue 5, acceptance 4 (the library's part): data that cannot identify the model answer a clear error. */
const failure = (fit: () => unknown): NotIdentifiable => {
  try {
    fit();
  } catch (error) {
    if (error instanceof NotIdentifiable) return error;
    throw error;
  }
  throw new Error('the fit did not refuse');
};

describe.each(['bgnbd', 'mbgnbd'] as const)('%s refuses data that cannot identify it', (model) => {
  it('no repeat buyer', () => {
    const error = failure(() => fitBgModel(model, Array.from({ length: 1234 }, (_, i) => ({ x: 0, tx: 0, T: 10 + (i % 30) }))));
    expect(error.reason).toBe('no-repeat-buyer');
    expect(error.message).toMatch(/^no repeat buyer: 0 of 1,234 customers purchased more than once; the (M?BG)\/NBD model cannot tell how often customers buy from how soon they stop/);
  });

  it(`fewer than ${MIN_CUSTOMERS} customers or ${MIN_REPEAT_BUYERS} repeat buyers`, () => {
    expect(failure(() => fitBgModel(model, [{ x: 2, tx: 5, T: 9 }])).message).toContain(`too few customers: 1, the`);
    const few = Array.from({ length: 100 }, (_, i) => (i < 3 ? { x: 1, tx: 4, T: 20 } : { x: 0, tx: 0, T: 20 }));
    const error = failure(() => fitBgModel(model, few));
    expect(error.reason).toBe('too-few-repeat-buyers');
    expect(error.message).toContain(`too few repeat buyers: 3 of 100 customers purchased more than once`);
  });

  it('an optimum at a boundary: everyone buying every week without fail', () => {
    const regular = Array.from({ length: 200 }, (_, i) => ({ x: 20 + (i % 20), tx: 20 + (i % 20), T: 20 + (i % 20) }));
    const error = failure(() => fitBgModel(model, regular));
    expect(error.reason).toBe('boundary');
    expect(error.message).toMatch(/^the optimum runs off to a boundary: \w+ = [\d.e+]+ grows without bound: the data look as if /);
  });

  it('bad input is a RangeError naming the customer, not a fit', () => {
    expect(() => fitBgModel(model, [{ customerId: 'c9', x: 1, tx: 5, T: 3, monetary: 0 } as never])).toThrow('customer c9: needs a whole x >= 0 and 0 <= tx <= T, got x=1, tx=5, T=3');
  });
});

describe('Gamma-Gamma refuses', () => {
  it('data without repeat purchases, and amounts identical for everyone', () => {
    expect(failure(() => fitGammaGamma([{ x: 0, monetary: 0 }])).reason).toBe('no-repeat-buyer');
    const same = Array.from({ length: 50 }, (_, i) => ({ x: 1 + (i % 3), monetary: 20 }));
    expect(failure(() => fitGammaGamma(same)).message).toMatch(/^the optimum runs off to a boundary: p = .* grows without bound: the data look as if each customer spent the same amount on every purchase/);
  });
});
