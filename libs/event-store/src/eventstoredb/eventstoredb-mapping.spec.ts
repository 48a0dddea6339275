import type { RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client';
import { START, UnstorableEvent, compareCheckpoints, versionConflicts, type NewEvent, type ReadStreamOptions, type RecordedEvent } from '../event-store.port';
import {
  isAppEvent,
  placeInPlan,
  planStreamRead,
  sameContent,
  toCheckpoint,
  toEventData,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  versionOf,
} from './eventstoredb-mapping';

const newEvent = (overrides: Partial<NewEvent> = {}): NewEvent => ({
  eventId: '5f0c3f4e-8a51-4c5e-9a7b-2f4d1c2b3a40',
  type: 'TripBooked',
  data: { bookingId: 'b-1', amount: { value: 125000, currency: 'EUR' } },
  occurredAt: '2025-03-01T10:00:00+02:00',
  metadata: { correlationId: 'c-1', causationId: 'c-0', actor: { id: 'agent-7', role: 'agent' }, source: 'api', schemaVersion: 2 },
  ...overrides,
});

/** What the client hands back for an event this adapter wrote (a plain value, as convertGrpcRecord builds it). */
const stored = (event: NewEvent, revision: bigint, position: { commit: bigint; prepare: bigint } | undefined, appendId = 'a-1'): EsdbRecordedEvent => {
  const data = toEventData(event, appendId);
  return {
    streamId: 'customer-42',
    id: data.id,
    isJson: true,
    revision,
    type: data.type,
    created: new Date('2025-03-02T08:30:00.123Z'),
    data: data.data,
    metadata: data.metadata,
    position,
  } as EsdbRecordedEvent;
};

describe('expected version -> expected revision', () => {
  it('maps the keywords one to one, exact 0 to no stream, and version n to revision n - 1', () => {
    expect(toExpectedRevision('any')).toBe('any');
    expect(toExpectedRevision('no_stream')).toBe('no_stream');
    expect(toExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toExpectedRevision(0)).toBe('no_stream');
    expect(toExpectedRevision(1)).toBe(0n);
    expect(toExpectedRevision(5)).toBe(4n);
  });

  it('reports the actual version of a conflict as revision + 1, and 0 for no stream', () => {
    expect(versionOf('no_stream')).toBe(0);
    expect(versionOf(0n)).toBe(1);
    expect(versionOf(41n)).toBe(42);
  });

  it('checks versions on this side with the same rule as the other adapters', () => {
    expect(versionConflicts('any', 3)).toBe(false);
    expect(versionConflicts('no_stream', 0)).toBe(false);
    expect(versionConflicts('no_stream', 1)).toBe(true);
    expect(versionConflicts('stream_exists', 0)).toBe(true);
    expect(versionConflicts('stream_exists', 2)).toBe(false);
    expect(versionConflicts(2, 2)).toBe(false);
    expect(versionConflicts(2, 3)).toBe(true);
  });
});

describe('checkpoints', () => {
  it('encode the commit and prepare positions, ordered as two integers beyond 2^53', () => {
    const big = 2n ** 60n;
    expect(toCheckpoint({ commit: 1234n, prepare: 1200n })).toBe('1234:1200');
    expect(compareCheckpoints(toCheckpoint({ commit: 9n, prepare: 9n }), toCheckpoint({ commit: 10n, prepare: 10n }))).toBe(-1);
    expect(compareCheckpoints(toCheckpoint({ commit: big + 1n, prepare: big + 1n }), toCheckpoint({ commit: big, prepare: big }))).toBe(1);
    expect(compareCheckpoints(toCheckpoint({ commit: 500n, prepare: 480n }), toCheckpoint({ commit: 500n, prepare: 490n }))).toBe(-1);
  });

  it('compare as two integers whatever their lengths and leading zeros, as a BigInt comparison does', () => {
    const reference = (a: string, b: string): number => {
      const [ax, ap] = a.split(':').map(BigInt);
      const [bx, bp] = b.split(':').map(BigInt);
      if (ax !== bx) return ax < bx ? -1 : 1;
      return ap === bp ? 0 : ap < bp ? -1 : 1;
    };
    const parts = ['0', '00', '7', '07', '9', '10', '99', '100', '4294967295', '4294967296', '9007199254740993', '9007199254740992', '18446744073709551615'];
    for (const ax of parts) for (const ap of parts) for (const bx of parts) for (const bp of parts) {
      expect([`${ax}:${ap} vs ${bx}:${bp}`, compareCheckpoints(`${ax}:${ap}`, `${bx}:${bp}`)]).toEqual([`${ax}:${ap} vs ${bx}:${bp}`, reference(`${ax}:${ap}`, `${bx}:${bp}`)]);
    }
  });

  it('turn back into a read position: START from the beginning, anything else at that event', () => {
    expect(toReadPosition(START)).toBe('start');
    expect(toReadPosition('2305843009213693953:2305843009213693950')).toEqual({ commit: 2305843009213693953n, prepare: 2305843009213693950n });
    expect(() => toReadPosition('12')).toThrow('invalid checkpoint');
  });
});

describe('events', () => {
  it('go out as JSON with our event id, and schemaVersion, metadata and occurredAt in the metadata', () => {
    const data = toEventData(newEvent(), 'append-1');
    expect(data).toMatchObject({ id: '5f0c3f4e-8a51-4c5e-9a7b-2f4d1c2b3a40', type: 'TripBooked', contentType: 'application/json' });
    expect(data.data).toEqual(newEvent().data);
    expect(data.metadata).toEqual({
      correlationId: 'c-1',
      causationId: 'c-0',
      actor: { id: 'agent-7', role: 'agent' },
      source: 'api',
      schemaVersion: 2,
      occurredAt: '2025-03-01T08:00:00.000Z',
      appendId: 'append-1',
    });
  });

  it('refuse what EventStoreDB cannot take as it is: a non-UUID id, an occurredAt that is no instant', () => {
    expect(() => toEventData(newEvent({ eventId: 'order-17' }), 'a')).toThrow(UnstorableEvent);
    expect(() => toEventData(newEvent({ occurredAt: 'yesterday' }), 'a')).toThrow(UnstorableEvent);
  });

  it('come back as recorded events: stream position = revision + 1, global position and checkpoint from $all, recordedAt = created', () => {
    const recorded = toRecordedEvent(stored(newEvent(), 6n, { commit: 98765n, prepare: 98765n }));
    expect(recorded).toEqual<RecordedEvent>({
      eventId: '5f0c3f4e-8a51-4c5e-9a7b-2f4d1c2b3a40',
      streamId: 'customer-42',
      streamPosition: 7,
      globalPosition: 98765,
      type: 'TripBooked',
      schemaVersion: 2,
      data: { bookingId: 'b-1', amount: { value: 125000, currency: 'EUR' } },
      metadata: {
        eventId: '5f0c3f4e-8a51-4c5e-9a7b-2f4d1c2b3a40',
        correlationId: 'c-1',
        causationId: 'c-0',
        actor: { id: 'agent-7', role: 'agent' },
        source: 'api',
        schemaVersion: 2,
      },
      occurredAt: '2025-03-01T08:00:00.000Z',
      recordedAt: '2025-03-02T08:30:00.123Z',
      checkpoint: '98765:98765',
    });
  });

  it('refuse an event without a log position rather than invent a checkpoint', () => {
    expect(() => toRecordedEvent(stored(newEvent(), 0n, undefined))).toThrow('22.6');
    expect(() => toRecordedEvent(stored(newEvent(), 0n, { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n }))).toThrow('22.6');
  });

  it('refuse an event another program wrote into our streams, naming it', () => {
    const foreign = { ...stored(newEvent(), 3n, { commit: 5n, prepare: 5n }), metadata: undefined } as EsdbRecordedEvent;
    expect(() => toRecordedEvent(foreign)).toThrow('customer-42 (revision 3) was not written by this engine');
  });

  it('compare by content for an idempotent retry: same stream, type, instant and data', () => {
    const event = newEvent();
    const recorded = toRecordedEvent(stored(event, 0n, { commit: 10n, prepare: 10n }));
    expect(sameContent(recorded, 'customer-42', { ...event, occurredAt: '2025-03-01T08:00:00Z' })).toBe(true);
    expect(sameContent(recorded, 'customer-43', event)).toBe(false);
    expect(sameContent(recorded, 'customer-42', { ...event, data: { bookingId: 'b-2' } })).toBe(false);
    expect(sameContent(recorded, 'customer-42', { ...event, occurredAt: '1999-01-01T00:00:00Z' })).toBe(false);
    expect(sameContent(recorded, 'customer-42', { ...event, type: 'TripCancelled' })).toBe(false);
  });

  it("are this app's when their stream has one of its prefixes and neither stream nor type is a system one", () => {
    expect(isAppEvent({ streamId: 'customer-1', type: 'CustomerRegistered' }, ['customer-'])).toBe(true);
    expect(isAppEvent({ streamId: 'invoice-1', type: 'Issued' }, ['customer-'])).toBe(false);
    expect(isAppEvent({ streamId: '$ce-customer', type: '$>' }, ['customer-', '$ce-'])).toBe(false);
    expect(isAppEvent({ streamId: 'customer-1', type: '$metadata' }, ['customer-'])).toBe(false);
  });
});

describe('stream reads', () => {
  // Five events, as the contract's reading tests append them: E1..E5 occurring on the 1st..5th of January.
  const history = Array.from({ length: 5 }, (_, i) =>
    toRecordedEvent(
      stored(newEvent({ type: `E${i + 1}`, occurredAt: `2025-01-0${i + 1}T12:00:00.000Z` }), BigInt(i), { commit: BigInt(100 + i), prepare: BigInt(100 + i) }),
    ),
  );

  /** Serves a plan the way a stream read does: from a revision (or the end), in a direction, at most maxCount. */
  const serve = (options: ReadStreamOptions): string[] => {
    const plan = planStreamRead(options);
    if (!plan) return [];
    const ordered = plan.direction === 'forwards' ? history : [...history].reverse();
    const start = plan.fromRevision === 'start' || plan.fromRevision === 'end' ? 0 : ordered.findIndex((e) => BigInt(e.streamPosition - 1) === plan.fromRevision);
    const sent = start < 0 ? [] : ordered.slice(start, plan.maxCount === undefined ? undefined : start + plan.maxCount);
    const taken: string[] = [];
    for (const event of sent) {
      const place = placeInPlan(plan, event);
      if (place === 'stop') break;
      if (place === 'take') taken.push(event.type);
      if (taken.length >= plan.limit) break;
    }
    return taken;
  };

  it('honour direction, inclusive position bounds, occurredUntil and limit together', () => {
    expect(serve({})).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);
    expect(serve({ direction: 'backward', limit: 2 })).toEqual(['E5', 'E4']);
    expect(serve({ fromPosition: 2, toPosition: 4 })).toEqual(['E2', 'E3', 'E4']);
    expect(serve({ fromPosition: 4, direction: 'backward' })).toEqual(['E5', 'E4']);
    expect(serve({ toPosition: 3, direction: 'backward' })).toEqual(['E3', 'E2', 'E1']);
    expect(serve({ occurredUntil: '2025-01-03T18:00:00Z' })).toEqual(['E1', 'E2', 'E3']);
    expect(serve({ occurredUntil: '2025-01-03T18:00:00Z', direction: 'backward', limit: 2 })).toEqual(['E3', 'E2']);
    expect(serve({ occurredUntil: '2024-12-31T00:00:00Z' })).toEqual([]);
    expect(serve({ fromPosition: 0, limit: 1 })).toEqual(['E1']);
    expect(serve({ fromPosition: 3, limit: 0 })).toEqual([]);
    expect(serve({ fromPosition: 4, toPosition: 2 })).toEqual([]);
  });

  it('ask the server for no more than needed when nothing is filtered here', () => {
    expect(planStreamRead({ fromPosition: 2, toPosition: 4 })).toMatchObject({ direction: 'forwards', fromRevision: 1n, maxCount: 3 });
    expect(planStreamRead({ limit: 10 })).toMatchObject({ fromRevision: 'start', maxCount: 10 });
    expect(planStreamRead({ direction: 'backward', limit: 1 })).toMatchObject({ direction: 'backwards', fromRevision: 'end', maxCount: 1 });
    expect(planStreamRead({ occurredUntil: '2025-01-01T00:00:00Z', limit: 1 })).toMatchObject({ maxCount: undefined });
  });
});
