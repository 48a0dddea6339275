/**
 * The segments benchmark's log: one customer's history from a PRNG seeded by its number, so every run writes the same
 * facts, and the rest of the event budget in contacts and surveys; written through appendBatch.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sampleBeta, sampleGamma } from '../libs/clv/src';
import { customerStreamId } from '../libs/domain/src';
import type { NewEvent, StreamAppend } from '../libs/event-store/src';
import { fmt, log } from './bench-support';

export const DAY = 86_400_000;
export const iso = (at: number): string => new Date(at).toISOString();

/** How many customers and events, written over [start, end] (epoch milliseconds). */
export interface LogPlan {
  customers: number;
  events: number;
  start: number;
  end: number;
}


/** mulberry32: small, fast, good enough for test data. */
const prng = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const pick = <T>(rand: () => number, weighted: readonly (readonly [T, number])[]): T => {
  let u = rand();
  for (const [value, weight] of weighted) if ((u -= weight) < 0) return value;
  return weighted[weighted.length - 1][0];
};

const PRODUCTS = [['package', 0.35], ['city-break', 0.15], ['family-package', 0.12], ['flight-hotel', 0.12], ['cruise', 0.08], ['ski', 0.06], ['adventure', 0.06], ['safari', 0.03], ['trekking', 0.03]] as const;
/** Price per traveller in major units: [from, to]. */
const PRICES: Record<string, [number, number]> = { cruise: [1200, 4000], safari: [2500, 6000], 'city-break': [250, 900] };
const CURRENCIES = [['EUR', 0.85], ['USD', 0.1], ['GBP', 0.05]] as const;
const CHANNELS = [['web', 0.55], ['agent', 0.25], ['phone', 0.1], ['app', 0.1]] as const;
const DESTINATIONS = [['ES', 'Palma'], ['PT', 'Lisbon'], ['GR', 'Crete'], ['IT', 'Rome'], ['IS', 'Reykjavik'], ['JP', 'Kyoto'], ['TH', 'Phuket'], ['US', 'New York'], ['ZA', 'Cape Town'], ['NO', 'Bergen']] as const;
const TAGS = ['family', 'golf', 'wellness', 'beach', 'culture'];
/** BG/NBD heterogeneity of the bookers: rate ~ Gamma(r, alpha) per month (mean 0.15), dropout ~ Beta(a, b) (mean 0.26). */
const BOOKING_RATE = { r: 0.9, alpha: 6, a: 1.2, b: 3.5 };
const MONTH_MS = (365.25 / 12) * DAY;

const metadata = (actor: { id: string; role: string }, source: string): NewEvent['metadata'] => ({
  correlationId: randomUUID(),
  causationId: randomUUID(),
  actor,
  source,
  // Stamped by the schema-aware store (TripBooked is at version 2).
  schemaVersion: 1,
});
/** Shared objects: the store stamps a metadata object once per schema version. */
const IMPORTED = metadata({ id: 'import', role: 'import' }, 'import');
const BY_AGENT = metadata({ id: 'agent-0042', role: 'agent' }, 'api');

const event = (type: string, at: number, data: Record<string, unknown>, meta = IMPORTED): NewEvent => ({ eventId: randomUUID(), type, occurredAt: iso(at), data, metadata: meta });

/** Registration, bookings with departures, returns and some cancellations, tags, VIP grants; oldest first. */
function customerEvents(c: number, plan: LogPlan): { customerId: string; events: NewEvent[] } {
  const rand = prng(c + 1);
  const customerId = `cust-${String(c).padStart(7, '0')}`;
  const registeredAt = plan.start + Math.floor(rand() * (plan.end - plan.start - 10 * DAY));
  const tags = rand() < 0.25 ? [TAGS[Math.floor(rand() * TAGS.length)]] : [];
  const events = [
    event('CustomerRegistered', registeredAt, {
      customerId, name: `Traveller ${c}`, email: `traveller${c}@example.com`, timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', tags, marketingConsent: c % 3 === 0,
    }),
  ];
  const later = (from: number, to = plan.end): number => from + Math.floor(rand() * Math.max(to - from, 1));
  // Bookings as customers behave in the BG/NBD story: each books at its own rate while active and may drop out
  // after any booking, rates and dropout chances differing between customers; 12 % never book.
  const positive = (): number => rand() || Number.MIN_VALUE;
  const rate = sampleGamma(positive, BOOKING_RATE.r, BOOKING_RATE.alpha) / MONTH_MS;
  const dropout = sampleBeta(positive, BOOKING_RATE.a, BOOKING_RATE.b);
  const bookedAt: number[] = [];
  if (rand() >= 0.12) {
    for (let at = registeredAt + 3_600_000 + rand() * 30 * DAY; at <= plan.end && bookedAt.length < 30; at += -Math.log(positive()) / rate) {
      bookedAt.push(Math.floor(at));
      if (rand() < dropout) break;
    }
  }
  bookedAt.forEach((booked, k) => {
    const bookingId = `bk-${c}-${k + 1}`;
    const productType = pick(rand, PRODUCTS);
    const travellers = productType === 'family-package' ? 3 + Math.floor(rand() * 3) : rand() < 0.05 ? 5 : 1 + Math.floor(rand() * 4);
    const [low, high] = PRICES[productType] ?? [500, 2500];
    const [country, city] = DESTINATIONS[Math.floor(rand() * DESTINATIONS.length)];
    const departure = booked + (7 + Math.floor(rand() * 200)) * DAY;
    const back = departure + (3 + Math.floor(rand() * 14)) * DAY;
    const date = (at: number): string => iso(at).slice(0, 10);
    events.push(
      event('TripBooked', booked, {
        bookingId, destination: { country, city }, departureDate: date(departure), returnDate: date(back),
        amount: { value: Math.round((low + rand() * (high - low)) * travellers * 100), currency: pick(rand, CURRENCIES) },
        travellers, productType, channel: pick(rand, CHANNELS),
      }),
    );
    const departs = Date.parse(`${date(departure)}T06:00:00Z`);
    const returns = Date.parse(`${date(back)}T20:00:00Z`);
    if (rand() < 0.08) {
      const cancelled = later(booked, departs);
      if (cancelled <= plan.end) events.push(event('BookingCancelled', cancelled, { bookingId, reason: 'change of plans' }));
    } else {
      if (departs <= plan.end) events.push(event('TripDeparted', departs, { bookingId }));
      if (returns <= plan.end) events.push(event('TripReturned', returns, { bookingId }));
    }
  });
  if (rand() < 0.08) events.push(event('CustomerProfileUpdated', later(registeredAt), { tags: [TAGS[Math.floor(rand() * TAGS.length)], 'city'] }));
  if ((bookedAt.length >= 3 && rand() < 0.06) || rand() < 0.003) {
    const granted = later(bookedAt[2] ?? registeredAt);
    events.push(event('VipStatusGranted', granted, { reason: 'top customer (agent decision)' }, BY_AGENT));
    if (rand() < 0.15) events.push(event('VipStatusRevoked', later(granted), { reason: 'no longer travelling with us' }, BY_AGENT));
  }
  return { customerId, events };
}

/** The rest of the event budget: contacts and surveys, which segment_facts reads past but does not apply. */
function addContacts(c: number, events: NewEvent[], count: number, plan: LogPlan): void {
  const rand = prng(-c - 1);
  const from = Date.parse(events[0].occurredAt);
  for (let i = 0; i < count; i++) {
    const at = from + Math.floor(rand() * (plan.end - from));
    events.push(
      rand() < 0.7
        ? event('InteractionLogged', at, { interactionId: `in-${c}-${i}`, channel: 'email', direction: 'inbound', topic: 'question', summary: 'Asked about luggage allowance' })
        : event('SurveyAnswered', at, { surveyId: `sv-${c}-${i}`, nps: Math.floor(rand() * 11) }),
    );
  }
  events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
}

/** Appends every customer's stream, 1,000 customers per appendBatch, two batches at a time. */
export async function writeLog(store: { appendBatch(appends: StreamAppend[]): Promise<void> }, plan: LogPlan): Promise<{ events: number; seconds: number }> {
  let next = 0;
  let written = 0;
  let reported = 0;
  const batch = (): StreamAppend[] => {
    const appends: StreamAppend[] = [];
    for (; appends.length < 1000 && next < plan.customers; next++) {
      const { customerId, events } = customerEvents(next, plan);
      // Contacts keep the running total 50 events under plan.events * (customers so far / plan.customers), room enough for the
      // last customer's own history, whose contacts then make up exactly plan.events.
      const due = next === plan.customers - 1 ? plan.events : Math.round((plan.events * (next + 1)) / plan.customers) - 50;
      addContacts(next, events, Math.max(0, due - written - events.length), plan);
      written += events.length;
      appends.push({ streamId: customerStreamId(customerId), events, expectedVersion: 'no_stream' });
    }
    return appends;
  };
  const started = performance.now();
  await Promise.all(
    [0, 1].map(async () => {
      for (let appends = batch(); appends.length; appends = batch()) {
        await store.appendBatch(appends);
        if (written - reported >= 200_000) log(`  written ~${fmt((reported = written))} events`);
      }
    }),
  );
  return { events: written, seconds: (performance.now() - started) / 1000 };
}
