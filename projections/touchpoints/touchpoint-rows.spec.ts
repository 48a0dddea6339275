import { DEFAULT_TOUCHPOINT_CONFIG, foldTouchpointFacts, type CustomerTouchpointFacts } from '../../libs/touchpoints/src';
import { touchpointRowChanges, type ScheduleInput } from './touchpoint-rows';

const customerId = 'c-rows';
const registered = foldTouchpointFacts(undefined, customerId, {
  type: 'CustomerRegistered',
  occurredAt: '2026-01-01T09:00:00.000Z',
  actor: 'agent-1',
  data: { customerId, name: 'Rows', timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', marketingConsent: true, tags: [] },
}) as CustomerTouchpointFacts;
const book = (facts: CustomerTouchpointFacts, i: number): CustomerTouchpointFacts =>
  foldTouchpointFacts(facts, customerId, {
    type: 'TripBooked',
    occurredAt: `2026-01-${String(2 + i).padStart(2, '0')}T09:00:00.000Z`,
    actor: 'agent-1',
    data: { bookingId: `b-${i}`, destination: { country: 'GR', city: 'Chania' }, departureDate: '2026-06-01', returnDate: '2026-06-14', amount: { value: 100_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' },
  }) as CustomerTouchpointFacts;
const input = (facts: CustomerTouchpointFacts): ScheduleInput => ({ facts: JSON.stringify(facts), riskAlerts: [] });

/** The table as a map from touchpoint id to its COPY line. */
type Table = Map<string, string>;
const linesOf = (copy: string): [string, string][] => copy.split('\n').filter(Boolean).map((text) => [text.slice(0, text.indexOf('\t')), text]);
const fresh = (facts: CustomerTouchpointFacts): Table => new Map(linesOf(touchpointRowChanges([{ customerId, ...input(facts) }], DEFAULT_TOUCHPOINT_CONFIG).copy));
const applied = (table: Table, before: CustomerTouchpointFacts, now: CustomerTouchpointFacts): Table => {
  const { deleted, copy } = touchpointRowChanges([{ customerId, ...input(now), before: input(before) }], DEFAULT_TOUCHPOINT_CONFIG);
  const next = new Map(table);
  for (const id of deleted) next.delete(id);
  for (const [id, text] of linesOf(copy)) {
    expect(next.has(id)).toBe(false);
    next.set(id, text);
  }
  return next;
};

describe('the touchpoint row changes', () => {
  it('bring the rows of the schedule before to the rows of the schedule now, writing only what differs', () => {
    const facts = [registered];
    for (let i = 0; i < 12; i++) facts.push(book(facts[facts.length - 1], i));
    let table = fresh(facts[0]);
    let written = 0;
    for (let i = 1; i < facts.length; i++) {
      const { copy } = touchpointRowChanges([{ customerId, ...input(facts[i]), before: input(facts[i - 1]) }], DEFAULT_TOUCHPOINT_CONFIG);
      written += linesOf(copy).length;
      table = applied(table, facts[i - 1], facts[i]);
      expect(table).toEqual(fresh(facts[i]));
    }
    // Twelve bookings of 8 rows each; the frequency cap moves some marketing rows of the same dates as well.
    expect(table.size).toBe(12 * 8);
    // Rewriting the whole schedule at each booking would write 8 + 16 + ... + 96 = 624 rows.
    expect(written).toBeLessThan(624 / 3);
  });

  it('is right when the batch it remembers was rolled back: the rows are still those of the schedule before it', () => {
    const one = book(registered, 0);
    const two = book(one, 1);
    const three = book(two, 2);
    const start = fresh(one);
    applied(start, one, two); // computed, then its transaction rolled back: the table still holds `one`'s rows
    expect(applied(start, one, three)).toEqual(fresh(three));
    // Nothing changed: nothing to write.
    expect(touchpointRowChanges([{ customerId, ...input(three), before: input(three) }], DEFAULT_TOUCHPOINT_CONFIG)).toEqual({ deleted: [], copy: '' });
  });
});
