import { randomUUID } from 'node:crypto';
import { CUSTOMER_STREAM_PREFIX } from '../../libs/domain/src';
import { WrongExpectedVersion, type Checkpoint, type EventStore } from '../../libs/event-store/src';
import { EventStoreDbEventStore } from '../../libs/event-store/src/eventstoredb';
import { eventStoreContract, newEvent } from './event-store.contract';

/**
 * Runs only against a real EventStoreDB/KurrentDB server (docs/eventstoredb.md): jest.config.js leaves this file
 * out when EVENTSTORE_CONNECTION_STRING is unset, and the run's summary says it was not run.
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
if (!connectionString) throw new Error('EVENTSTORE_CONNECTION_STRING is not set: this suite needs an EventStoreDB server (see docs/eventstoredb.md)');

const open = async (): Promise<EventStoreDbEventStore> => new EventStoreDbEventStore({ connectionString, streamPrefixes: [CUSTOMER_STREAM_PREFIX] });

// Every contract test writes to streams named after a fresh UUID, so a server shared with earlier runs is fine.
eventStoreContract('eventstoredb', open, (store) => store.close(), { eventIdsUniqueAcrossStreams: false });

describe('EventStoreDB adapter', () => {
  let store: EventStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  it('appendBatch goes stream by stream: the streams before a conflict stay written, the rest are not tried', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()].map((id) => `customer-${id}`);
    await store.append(second, [newEvent('A')]);
    const error = await store
      .appendBatch([
        { streamId: first, events: [newEvent('A')], expectedVersion: 'no_stream' },
        { streamId: second, events: [newEvent('B')], expectedVersion: 'no_stream' },
        { streamId: third, events: [newEvent('C')], expectedVersion: 'no_stream' },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersion);
    expect(error).toMatchObject({ streamId: second, actual: 1 });
    expect((await store.readStream(first)).map((e) => e.type)).toEqual(['A']);
    expect(await store.readStream(third)).toEqual([]);
  });

  it('a consumer that resubscribes from the last event it processed gets the next one, nothing lost or repeated', async () => {
    const stream = `customer-${randomUUID()}`;
    const { position } = await store.append(stream, [newEvent('First')]);
    const startAt = await store.checkpointOf(position);
    expect(startAt).not.toBeNull();
    await store.append(stream, [newEvent('Second')]);
    await store.append(stream, [newEvent('Third')]);

    const firstOf = async (after: Checkpoint): Promise<{ type: string; checkpoint: Checkpoint }> => {
      const controller = new AbortController();
      for await (const batch of store.subscribe(after, { signal: controller.signal, batchSize: 1 })) {
        const mine = batch.find((e) => e.streamId === stream);
        if (mine) {
          controller.abort();
          return mine;
        }
      }
      throw new Error('subscription ended without an event');
    };
    const second = await firstOf(startAt!);
    expect(second.type).toBe('Second');
    expect((await firstOf(second.checkpoint)).type).toBe('Third');
  });
});
