import { randomUUID } from 'node:crypto';
import { SchemaAwareEventStore, UnknownEventSchema, upcast, type EventSchemas } from './event-schemas';
import { InMemoryEventStore } from './in-memory-event-store';
import { START, type NewEvent, type RecordedEvent } from './event-store.port';

const schemas: EventSchemas = {
  current: { Renamed: 3, Plain: 1 },
  upcasters: {
    Renamed: {
      1: ({ name, ...rest }) => ({ ...rest, fullName: name }),
      2: ({ fullName, ...rest }) => ({ ...rest, person: { fullName } }),
    },
  },
};

const stored = (type: string, schemaVersion: number, data: Record<string, unknown>): RecordedEvent => ({
  eventId: 'e-1',
  streamId: 'customer-1',
  streamPosition: 4,
  globalPosition: 42,
  type,
  schemaVersion,
  data,
  metadata: { eventId: 'e-1', correlationId: 'c', causationId: 'c', actor: { id: 'a', role: 'agent' }, source: 'api', schemaVersion },
  occurredAt: '2025-01-01T00:00:00.000Z',
  recordedAt: '2025-01-01T00:00:00.000Z',
  checkpoint: '1:42',
});

const newEvent = (type: string, data: Record<string, unknown>, schemaVersion = 1): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  occurredAt: '2025-01-01T00:00:00.000Z',
  metadata: { correlationId: 'c', causationId: 'c', actor: { id: 'a', role: 'agent' }, source: 'api', schemaVersion },
});

describe('upcast', () => {
  it('chains upcasters from the stored version to the current one', () => {
    const event = upcast(schemas, stored('Renamed', 1, { name: 'Ana', age: 3 }));
    expect(event).toMatchObject({ schemaVersion: 3, data: { age: 3, person: { fullName: 'Ana' } }, metadata: { schemaVersion: 3 } });
  });

  it('returns a current event as it is', () => {
    const event = stored('Plain', 1, { a: 1 });
    expect(upcast(schemas, event)).toBe(event);
  });

  it.each([
    ['Vanished', 1, 'type "Vanished" schema version 1: unknown event type'],
    ['Renamed', 4, 'type "Renamed" schema version 4: unknown version (this build reads 1 to 3)'],
    ['Renamed', 0, 'unknown version'],
    ['toString', 1, 'unknown event type'],
  ])('fails loudly on %s v%p, naming the event and its position', (type, version, reason) => {
    const error = (() => {
      try {
        upcast(schemas, stored(type, version, {}));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownEventSchema);
    expect((error as Error).message).toContain('event e-1 at global position 42 (stream customer-1, position 4)');
    expect((error as Error).message).toContain(reason);
  });

  it('names a missing step in the chain', () => {
    const gap: EventSchemas = { current: { Renamed: 3 }, upcasters: { Renamed: { 2: (d) => d } } };
    expect(() => upcast(gap, stored('Renamed', 1, {}))).toThrow('no upcaster from version 1 to 2');
  });
});

describe('SchemaAwareEventStore', () => {
  it('stamps the current version on write and upcasts on every read path', async () => {
    const raw = new InMemoryEventStore();
    const store = new SchemaAwareEventStore(raw, schemas);
    await raw.append('customer-1', [newEvent('Renamed', { name: 'Old' }, 1)]);
    await store.append('customer-1', [newEvent('Renamed', { person: { fullName: 'New' } })]);
    await store.appendBatch([{ streamId: 'customer-2', events: [newEvent('Plain', {})], expectedVersion: 'no_stream' }]);

    expect((await raw.readStream('customer-1')).map((e) => e.schemaVersion)).toEqual([1, 3]);
    const expected = [{ person: { fullName: 'Old' } }, { person: { fullName: 'New' } }];
    expect((await store.readStream('customer-1')).map((e) => e.data)).toEqual(expected);
    expect((await store.readStreams(['customer-1'])).get('customer-1')!.map((e) => e.data)).toEqual(expected);
    expect((await store.readAll(START, 10)).events.map((e) => e.schemaVersion)).toEqual([3, 3, 1]);
    const controller = new AbortController();
    for await (const batch of store.subscribe(START, { signal: controller.signal })) {
      expect(batch.slice(0, 2).map((e) => e.data)).toEqual(expected);
      controller.abort();
    }
  });

  it('refuses to write an event type it does not know, writing nothing', async () => {
    const raw = new InMemoryEventStore();
    const store = new SchemaAwareEventStore(raw, schemas);
    await expect(store.append('customer-1', [newEvent('Plain', {}), newEvent('Mystery', {})])).rejects.toThrow('unknown event type "Mystery"');
    expect(await raw.readStream('customer-1')).toEqual([]);
  });
});
