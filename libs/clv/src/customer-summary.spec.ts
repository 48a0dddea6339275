import { summarise, UNIT_DAYS, type Transaction } from './customer-summary';

const t = (customerId: string, at: string, amount: number): Transaction => ({ customerId, at, amount });

describe('summarise', () => {
  it('counts purchase days (same UTC day = one purchase, amounts summed) and measures tx and T in the unit', () => {
    const [c] = summarise(
      [t('c', '2024-01-01', 10), t('c', '2024-01-01T18:00:00Z', 5), t('c', '2024-01-15', 20), t('c', '2024-01-29T09:00:00+02:00', 40)],
      '2024-02-12',
      'week',
    );
    expect(c).toEqual({ customerId: 'c', x: 2, tx: 4, T: 6, monetary: 30 });
  });

  it('ignores transactions after the observation end: a date counts its whole day, an instant up to itself', () => {
    const history = [t('c', '2024-01-01', 10), t('c', '2024-01-10T12:00:00Z', 20), t('c', '2024-01-11', 30)];
    expect(summarise(history, '2024-01-10', 'day')[0]).toMatchObject({ x: 1, tx: 9, T: 9, monetary: 20 });
    expect(summarise(history, '2024-01-10T11:00:00Z', 'day')[0]).toMatchObject({ x: 0, tx: 0, T: 9, monetary: 0 });
    expect(summarise([t('late', '2024-02-01', 5)], '2024-01-10', 'day')).toEqual([]);
  });

  it('states the month: 365.25/12 = 30.4375 days, never 30', () => {
    expect(UNIT_DAYS).toEqual({ day: 1, week: 7, month: 30.4375 });
    expect(summarise([t('c', '2023-01-01', 1), t('c', '2024-01-01', 1)], '2024-01-01', 'month')[0].T).toBeCloseTo(365 / 30.4375, 12);
  });

  it('sorts customers by id, numeric ids as numbers', () => {
    const ids = summarise(['10', '2', 'b', '1', 'a'].map((id) => t(id, '2024-01-01', 1)), '2024-01-02', 'day').map((c) => c.customerId);
    expect(ids).toEqual(['1', '2', '10', 'a', 'b']);
  });

  it('refuses a bad date or amount naming the customer', () => {
    expect(() => summarise([t('c7', 'yesterday', 1)], '2024-01-01', 'day')).toThrow('transaction of customer "c7": at must be an ISO 8601 date or instant, got "yesterday"');
    expect(() => summarise([t('c7', '2024-01-01', Number.NaN)], '2024-01-01', 'day')).toThrow('amount must be a finite number');
    expect(() => summarise([], '01/02/2024', 'day')).toThrow('observation end must be an ISO 8601 date or instant');
  });
});
