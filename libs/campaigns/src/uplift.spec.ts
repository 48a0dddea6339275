import { armResult, erfc, uplift, Z_975 } from './uplift';

describe('uplift of a campaign over its control group', () => {
  /*
   * The worked example of docs/campaigns.md, computed by hand (a calculator, 4-6 significant figures):
   *
   * A campaign with a 10 % holdout reaches 1,000 customers: 900 treated, 100 held out.
   * 270 treated customers booked (p_t = 270/900 = 0.30), 20 held-out ones did (p_c = 20/100 = 0.20).
   *
   *   d          = 0.30 − 0.20                                   = 0.10
   *   SE (Wald)  = √(0.30·0.70/900 + 0.20·0.80/100)
   *              = √(0.000233333 + 0.0016) = √0.00183333         = 0.0428174
   *   half-width = 1.959964 · 0.0428174                          = 0.0839206
   *   95 % CI    = [0.10 − 0.0839206, 0.10 + 0.0839206]          = [0.0160794, 0.183921]
   *   pooled p̂   = (270 + 20)/(900 + 100)                        = 0.29
   *   SE pooled  = √(0.29·0.71·(1/900 + 1/100))
   *              = √(0.2059 · 0.0111111) = √0.00228778           = 0.0478307
   *   z          = 0.10 / 0.0478307                              = 2.09071
   *   p-value    = 2·(1 − Φ(2.09071)) = 2·0.018277               = 0.03655
   *   relative   = 0.10 / 0.20                                   = 0.50 (+50 %)
   *   incremental conversions = 0.10 · 900                       = 90, interval 900·[0.0160794, 0.183921] = [14.47, 165.53]
   *
   * Revenue in the window: treated 135,000.00 EUR (13,500,000 cents), control 10,000.00 EUR (1,000,000 cents):
   *   per customer 15,000 and 10,000 cents; incremental revenue = (15,000 − 10,000) · 900 = 4,500,000 cents (45,000.00 EUR).
   */
  const treatment = { customers: 900, conversions: 270, revenue: { EUR: 13_500_000 } };
  const control = { customers: 100, conversions: 20, revenue: { EUR: 1_000_000 } };

  it('matches the worked example computed by hand', () => {
    const result = uplift(treatment, control);
    expect(result).not.toBeNull();
    const u = result!;
    expect(u.absolute).toBeCloseTo(0.1, 10);
    expect(u.standardError).toBeCloseTo(0.0428174, 6);
    expect(u.interval95.low).toBeCloseTo(0.0160794, 6);
    expect(u.interval95.high).toBeCloseTo(0.183921, 5);
    expect(u.z).toBeCloseTo(2.09071, 4);
    expect(u.pValue).toBeCloseTo(0.03655, 4);
    expect(u.relative).toBeCloseTo(0.5, 10);
    expect(u.incrementalConversions).toBeCloseTo(90, 8);
    expect(u.incrementalConversionsInterval95.low).toBeCloseTo(14.47, 2);
    expect(u.incrementalConversionsInterval95.high).toBeCloseTo(165.53, 2);
    expect(u.incrementalRevenue).toEqual({ EUR: 4_500_000 });
    expect(u.smallSample).toBe(false);
  });

  it('reports each arm with its rate and revenue per customer', () => {
    expect(armResult(treatment)).toEqual({ ...treatment, conversionRate: 0.3, revenuePerCustomer: { EUR: 15_000 } });
    expect(armResult({ customers: 0, conversions: 0, revenue: {} })).toEqual({ customers: 0, conversions: 0, revenue: {}, conversionRate: null, revenuePerCustomer: {} });
  });

  it('has no uplift while an arm is empty, and no relative uplift when the control never converted', () => {
    expect(uplift(treatment, { customers: 0, conversions: 0, revenue: {} })).toBeNull();
    const none = uplift({ customers: 50, conversions: 5, revenue: {} }, { customers: 50, conversions: 0, revenue: {} })!;
    expect(none.relative).toBeNull();
    expect(none.smallSample).toBe(true);
  });

  it('gives no test when nothing varies, and a degenerate interval at 0', () => {
    const flat = uplift({ customers: 40, conversions: 0, revenue: {} }, { customers: 60, conversions: 0, revenue: {} })!;
    expect(flat.z).toBeNull();
    expect(flat.pValue).toBeNull();
    expect(flat.interval95).toEqual({ low: 0, high: 0 });
  });

  it('counts revenue in a currency only one arm has', () => {
    const u = uplift({ customers: 10, conversions: 1, revenue: { GBP: 5_000 } }, { customers: 10, conversions: 1, revenue: { EUR: 2_000 } })!;
    expect(u.incrementalRevenue).toEqual({ EUR: -2_000, GBP: 5_000 });
  });

  it('erfc agrees with tabulated values, and Z_975 is the 97.5 % quantile', () => {
    // erfc(0) = 1, erfc(1) = 0.157299207, erfc(2) = 0.004677735 (Abramowitz & Stegun, table 7.1).
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(2)).toBeCloseTo(0.004677735, 8);
    expect(erfc(-1)).toBeCloseTo(2 - 0.157299207, 7);
    expect(erfc(Z_975 / Math.SQRT2)).toBeCloseTo(0.05, 7);
  });
});
