import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { handleCommand, type EventStore } from '../../libs/event-store/src';

const decider = { decide, evolve, initialState };

/** Deterministic pseudo-random numbers (mulberry32), so a failing scenario can be replayed. */
const random = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const day = (n: number): string => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
const at = (n: number): string => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString();

/** One customer's life as commands: registration, bookings (some amended, cancelled, travelled), complaints, surveys, calls. */
function customerLife(customerId: string, next: () => number): CustomerCommand[] {
  const commands: CustomerCommand[] = [];
  const push = (type: CustomerCommand['type'], data: object, when: number): void => {
    commands.push({ type, customerId, data, occurredAt: at(when) } as CustomerCommand);
  };
  const start = Math.floor(next() * 300);
  push('RegisterCustomer', { name: `Customer ${customerId}`, timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', marketingConsent: next() < 0.6, tags: ['family'] }, start);
  const trips = 1 + Math.floor(next() * 4);
  for (let i = 0; i < trips; i++) {
    const bookingId = `b-${i}`;
    const booked = start + 10 + i * 120;
    const departure = booked + 30 + Math.floor(next() * 60);
    const currency = next() < 0.8 ? 'EUR' : 'GBP';
    push('BookTrip', { bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate: day(departure), returnDate: day(departure + 7), amount: { value: 50_000 + Math.floor(next() * 400_000), currency }, travellers: 1 + Math.floor(next() * 4), productType: 'package', channel: 'web' }, booked);
    if (next() < 0.3) push('AmendBooking', { bookingId, amount: { value: 60_000, currency } }, booked + 5);
    if (next() < 0.15) {
      push('CancelBooking', { bookingId, reason: 'illness' }, booked + 10);
      continue;
    }
    if (next() < 0.2) continue; // still ahead
    push('RecordDeparture', { bookingId }, departure);
    push('RecordReturn', { bookingId }, departure + 7);
    if (next() < 0.3) {
      const complaintId = `cp-${i}`;
      push('FileComplaint', { complaintId, bookingId, category: 'room', severity: 'medium', channel: 'phone', description: 'noisy' }, departure + 2);
      if (next() < 0.8) push('AcknowledgeComplaint', { complaintId }, departure + 2);
      if (next() < 0.6) push('ResolveComplaint', { complaintId, resolution: 'moved room' }, departure + 3);
    }
    push('AnswerSurvey', { surveyId: `s-${i}`, bookingId, nps: Math.floor(next() * 11) }, departure + 10);
    push('LogInteraction', { interactionId: `i-${i}`, channel: 'phone', direction: 'outbound', topic: 'welcome home', summary: 'fine' }, departure + 8);
  }
  return commands;
}

/**
 * Writes customers' lives through the real decider until at least `minEvents` events are stored;
 * `writers` customers are written concurrently. Returns the number of events and the last position.
 */
export async function writeScenario(store: EventStore, minEvents: number, options: { seed?: number; writers?: number; prefix?: string } = {}): Promise<{ events: number; lastPosition: number }> {
  const next = random(options.seed ?? 42);
  let events = 0;
  let lastPosition = 0;
  let n = 0;
  const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'scenario', role: 'system' }, source: 'system' };
  while (events < minEvents) {
    const lives = Array.from({ length: options.writers ?? 8 }, () => customerLife(`${options.prefix ?? 'sc'}-${n++}`, next));
    await Promise.all(
      lives.map(async (commands) => {
        for (const command of commands) {
          const result = await handleCommand(store, customerStreamId(command.customerId), decider, command, { metadata, newId: randomUUID });
          events += result.events;
          lastPosition = Math.max(lastPosition, result.position ?? 0);
        }
      }),
    );
  }
  return { events, lastPosition };
}
