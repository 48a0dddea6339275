import { CUSTOMER_EVENT_SCHEMAS } from './customer.schemas';
import { fromMajorUnits } from './money';

describe('money in major units', () => {
  it.each([
    [1299.95, 'EUR', 129995],
    [0.1 + 0.2, 'USD', 30],
    [29.33, 'USD', 2933],
    [15000, 'JPY', 15000],
    [12.345, 'BHD', 12345],
    [0, 'EUR', 0],
    [1.005, 'EUR', 101],
  ])('%p %s is %p minor units', (major, currency, minor) => {
    expect(fromMajorUnits(major, currency)).toEqual({ value: minor, currency });
  });

  it('refuses what is not a finite number', () => {
    expect(() => fromMajorUnits(Number.NaN, 'EUR')).toThrow('not a finite number');
  });
});

describe('TripBooked v1 -> v2', () => {
  const v1 = {
    bookingId: 'b-1',
    destination: { country: 'GR', city: 'Heraklion' },
    departureDate: '2025-07-01',
    returnDate: '2025-07-08',
    price: 1299.95,
    currency: 'EUR',
    travellers: 2,
    productType: 'package',
    channel: 'web',
  };

  it('moves price and currency into amount in minor units, keeping every other field', () => {
    const { price: _price, currency: _currency, ...rest } = v1;
    expect(CUSTOMER_EVENT_SCHEMAS.upcasters.TripBooked[1](v1)).toEqual({ ...rest, amount: { value: 129995, currency: 'EUR' } });
  });

  it('writes TripBooked, ComplaintFiled and SurveyAnswered at version 2 and every other customer event at version 1', () => {
    expect(CUSTOMER_EVENT_SCHEMAS.current.TripBooked).toBe(2);
    expect(CUSTOMER_EVENT_SCHEMAS.current.ComplaintFiled).toBe(2);
    expect(CUSTOMER_EVENT_SCHEMAS.current.SurveyAnswered).toBe(2);
    expect(CUSTOMER_EVENT_SCHEMAS.current.CustomerRegistered).toBe(1);
  });
});

describe('ComplaintFiled and SurveyAnswered v1 -> v2', () => {
  // The whole read path (SchemaAwareEventStore, the projections) is covered in test/e2e/schema-evolution.e2e-spec.ts.
  it.each([
    ['ComplaintFiled', { complaintId: 'cp-1', bookingId: 'b-1', category: 'room', severity: 'high', channel: 'phone', description: 'Noisy' }],
    ['SurveyAnswered', { surveyId: 's-1', nps: 4, comment: 'meh' }],
  ] as const)('reads a %s of version 1 as version 2 with no cause recorded, every field as it was, the stored data untouched', (type, data) => {
    const stored = { ...data };
    const read = CUSTOMER_EVENT_SCHEMAS.upcasters[type][1](stored);
    expect(read).toEqual(data);
    expect(read).not.toHaveProperty('department');
    expect(read).not.toHaveProperty('phase');
    expect(read).not.toBe(stored);
    expect(stored).toEqual(data);
  });
});
