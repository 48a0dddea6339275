import type { BgParams } from './bg-models';
import { expectedPurchases } from './models';
import { clv, perUnitDiscountRate } from './clv';
import { expectedValuePerPurchase } from './gamma-gamma';

const PARAMS: BgParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const customer = { x: 3, tx: 30, T: 38 };

describe('discounted CLV', () => {
  it('without discounting is the expected purchases over the horizon times value and margin', () => {
    const undiscounted = clv('bgnbd', PARAMS, 40, customer, { horizon: 52, margin: 0.3, annualDiscountRate: 0, unit: 'week' });
    expect(undiscounted).toBeCloseTo(expectedPurchases('bgnbd', PARAMS, customer, 52) * 40 * 0.3, 10);
  });

  it('discounts each unit\'s purchases at the per-unit rate equivalent to the annual one', () => {
    expect(perUnitDiscountRate(0.1, 'day')).toBeCloseTo(Math.pow(1.1, 1 / 365.25) - 1, 15);
    expect(Math.pow(1 + perUnitDiscountRate(0.1, 'month'), 12)).toBeCloseTo(1.1, 12);
    // Two units by hand: E(1) discounted one unit, E(2) - E(1) two.
    const d = perUnitDiscountRate(0.1, 'month');
    const e1 = expectedPurchases('mbgnbd', PARAMS, customer, 1);
    const e2 = expectedPurchases('mbgnbd', PARAMS, customer, 2);
    expect(clv('mbgnbd', PARAMS, 50, customer, { horizon: 2, margin: 1, annualDiscountRate: 0.1, unit: 'month' })).toBeCloseTo(50 * (e1 / (1 + d) + (e2 - e1) / (1 + d) ** 2), 12);
    const options = { horizon: 52, margin: 0.3, unit: 'week' as const };
    expect(clv('bgnbd', PARAMS, 40, customer, { ...options, annualDiscountRate: 0.1 })).toBeLessThan(clv('bgnbd', PARAMS, 40, customer, { ...options, annualDiscountRate: 0 }));
    expect(clv('bgnbd', PARAMS, 40, customer, { ...options, horizon: 0, annualDiscountRate: 0.1 })).toBe(0);
  });

  it('refuses a fractional horizon, a margin outside 0..1 and a rate at or below -100%', () => {
    const options = { horizon: 52, margin: 0.3, annualDiscountRate: 0.1, unit: 'week' as const };
    expect(() => clv('bgnbd', PARAMS, 1, customer, { ...options, horizon: 2.5 })).toThrow('horizon must be a whole number of units');
    expect(() => clv('bgnbd', PARAMS, 1, customer, { ...options, margin: 30 })).toThrow('margin must be between 0 and 1, got 30');
    expect(() => clv('bgnbd', PARAMS, 1, customer, { ...options, annualDiscountRate: -1 })).toThrow('annual discount rate must be a number above -1');
  });
});

describe('Gamma-Gamma expected value per purchase', () => {
  const gg = { p: 6.25, q: 3.74, v: 15.44 };
  it('is the population mean p v/(q - 1) without repeat purchases and tends to the customer\'s own mean as x grows', () => {
    expect(expectedValuePerPurchase(gg, { x: 0, monetary: 0 })).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
    expect(expectedValuePerPurchase(gg, { x: 2, monetary: 30 })).toBeCloseTo((6.25 * (15.44 + 60)) / (12.5 + 2.74), 12);
    expect(expectedValuePerPurchase(gg, { x: 100_000, monetary: 30 })).toBeCloseTo(30, 2);
  });
});
