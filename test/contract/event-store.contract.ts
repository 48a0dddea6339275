import { randomUUID } from 'node:crypto';
import { DuplicateEventId, START, WrongExpectedVersion, handleCommand, type EventStore, type ExpectedVersion, type NewEvent, type RecordedEvent } from '../../libs/event-store/src';

export const newEvent = (type: string, data: Record<string, unknown> = {}, occurredAt = '2025-01-01T00:00:00.000Z'): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  occurredAt,
  metadata: { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'tester', role: 'agent' }, source: 'system', schemaVersion: 1 },
});

/**
 * Pages through the global log until the event at `lastPosition` has been read. Under PostgreSQL a reader only
 * sees commits older than every running transaction of the whole server (other test files' too), so an empty
 * page means "not visible yet", not "the end".
 */
const readEverything = async (store: EventStore, lastPosition: number): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  let checkpoint = START;
  const deadline = Date.now() + 10_000;
  while (!all.some((e) => e.globalPosition === lastPosition)) {
    if (Date.now() > deadline) throw new Error(`event at position ${lastPosition} not read within 10 s`);
    const batch = await store.readAll(checkpoint, 7);
    if (!batch.events.length) await new Promise((resolve) => setTimeout(resolve, 10));
    all.push(...batch.events);
    checkpoint = batch.checkpoint;
  }
  return all;
};

/** The one contract every event-store adapter passes (DESIGN section 4). */
export interface AdapterTraits {
  /**
   * Whether an event id is unique across the whole log. EventStoreDB deduplicates ids per stream only (it has no
   * index by event id), so the same id appended to another stream is written there.
   */
  eventIdsUniqueAcrossStreams: boolean;
  /** How the contract's events are written to this store; by default their names are their types. */
  vocabulary?: EventVocabulary;
}

/**
 * Every event the contract writes has a name (A, B, E1...) that its checks read back. A bare adapter stores any
 * type, so the name is the type; the engine's stack stores only the domain's event types, so it writes the name
 * where its vocabulary says and finds it there again.
 */
export interface EventVocabulary {
  write(name: string, data: Record<string, unknown>): Pick<NewEvent, 'type' | 'data'>;
  nameOf(event: RecordedEvent): string;
}

const TYPE_IS_NAME: EventVocabulary = { write: (type, data) => ({ type, data }), nameOf: (event) => event.type };

export function eventStoreContract(
  adapter: string,
  open: () => Promise<EventStore>,
  close: (store: EventStore) => Promise<void>,
  traits: AdapterTraits = { eventIdsUniqueAcrossStreams: true },
): void {
  const { write, nameOf } = traits.vocabulary ?? TYPE_IS_NAME;
  const eventNamed = (name: string, data: Record<string, unknown> = {}, occurredAt?: string): NewEvent => {
    const written = write(name, data);
    return newEvent(written.type, written.data, occurredAt);
  };

  describe(`event store contract: ${adapter}`, () => {
    let store: EventStore;
    let stream: string;
    beforeEach(async () => {
      store = await open();
      stream = `customer-${randomUUID()}`;
    });
    afterEach(() => close(store));

    describe('expected versions', () => {
      it('no_stream: succeeds on a new stream, fails once it exists', async () => {
        await expect(store.append(stream, [eventNamed('A'), eventNamed('B')], { expectedVersion: 'no_stream' })).resolves.toMatchObject({
          version: 2,
          written: true,
        });
        await expect(store.append(stream, [eventNamed('C')], { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersion);
      });

      it('stream_exists: fails on a new stream, succeeds once it exists', async () => {
        await expect(store.append(stream, [eventNamed('A')], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(WrongExpectedVersion);
        await store.append(stream, [eventNamed('A')]);
        await expect(store.append(stream, [eventNamed('B')], { expectedVersion: 'stream_exists' })).resolves.toMatchObject({ version: 2 });
      });

      it('exact: succeeds at the current version only, and reports the actual one', async () => {
        await expect(store.append(stream, [eventNamed('A')], { expectedVersion: 0 })).resolves.toMatchObject({ version: 1 });
        await expect(store.append(stream, [eventNamed('B')], { expectedVersion: 1 })).resolves.toMatchObject({ version: 2 });
        const error = await store.append(stream, [eventNamed('C')], { expectedVersion: 1 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect((error as WrongExpectedVersion).actual).toBe(2);
      });

      it('any: appends whatever the stream holds', async () => {
        await store.append(stream, [eventNamed('A')], { expectedVersion: 'any' });
        await expect(store.append(stream, [eventNamed('B')], { expectedVersion: 'any' })).resolves.toMatchObject({ version: 2 });
      });

      it('refuses an expected version that is not a non-negative integer or a keyword, writing nothing', async () => {
        for (const expectedVersion of [-1, 1.5, Number.NaN, 1e21, 'latest']) {
          await expect(store.append(stream, [eventNamed('A')], { expectedVersion: expectedVersion as ExpectedVersion })).rejects.toThrow('expected version');
        }
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('a failed append writes nothing', async () => {
        await store.append(stream, [eventNamed('A')]);
        await expect(store.append(stream, [eventNamed('B'), eventNamed('C')], { expectedVersion: 5 })).rejects.toBeInstanceOf(WrongExpectedVersion);
        expect((await store.readStream(stream)).map(nameOf)).toEqual(['A']);
      });

      it('16 concurrent appends with the same expected version: exactly one wins, positions stay contiguous', async () => {
        await store.append(stream, [eventNamed('Start')]);
        const results = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) => store.append(stream, [eventNamed('Racer', { i })], { expectedVersion: 1 })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof WrongExpectedVersion)).toHaveLength(15);
        const events = await store.readStream(stream);
        expect(events.map((e) => e.streamPosition)).toEqual([1, 2]);
        await store.append(stream, [eventNamed('After')], { expectedVersion: 2 });
        expect((await store.readStream(stream)).map((e) => e.streamPosition)).toEqual([1, 2, 3]);
      });
      it('16 concurrent first appends to a new stream with no_stream: exactly one wins', async () => {
        // Through the engine's stack each of them also gets or creates the customer's data key at the same moment.
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => store.append(stream, [eventNamed(`First${i}`)], { expectedVersion: 'no_stream' })));
        expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof WrongExpectedVersion)).toHaveLength(15);
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        expect((await store.readStream(stream)).map((e) => [nameOf(e), e.streamPosition])).toEqual([[`First${winner}`, 1]]);
      });
    });

    describe('idempotency', () => {
      it('re-sending the same event ids and content succeeds and writes nothing', async () => {
        const events = [eventNamed('A', { n: 1 }), eventNamed('B', { n: 2 })];
        const first = await store.append(stream, events, { expectedVersion: 'no_stream' });
        const retry = await store.append(stream, events, { expectedVersion: 'no_stream' });
        expect(retry).toEqual({ version: first.version, position: first.position, written: false });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('a retried single-event append succeeds at its original version, even after the stream moved on', async () => {
        const event = eventNamed('A', { n: 1 });
        const first = await store.append(stream, [event], { expectedVersion: 0 });
        await store.append(stream, [eventNamed('B')], { expectedVersion: 1 });
        expect(await store.append(stream, [event], { expectedVersion: 0 })).toEqual({ version: first.version, position: first.position, written: false });
        expect((await store.readStream(stream)).map(nameOf)).toEqual(['A', 'B']);
      });

      it('the same event id with other content is an error', async () => {
        const event = eventNamed('A', { n: 1 });
        await store.append(stream, [event]);
        await expect(store.append(stream, [{ ...event, data: { n: 2 } }])).rejects.toBeInstanceOf(DuplicateEventId);
        if (traits.eventIdsUniqueAcrossStreams) await expect(store.append(`${stream}-other`, [event])).rejects.toBeInstanceOf(DuplicateEventId);
        else await expect(store.append(`${stream}-other`, [event])).resolves.toMatchObject({ version: 1, written: true });
        await expect(store.append(stream, [{ ...event, occurredAt: '1999-01-01T00:00:00.000Z' }])).rejects.toBeInstanceOf(DuplicateEventId);
        const pair = [eventNamed('B'), eventNamed('C')];
        await store.append(stream, pair);
        await expect(store.append(stream, [pair[0], { ...pair[1], occurredAt: '1999-01-01T00:00:00.000Z' }])).rejects.toBeInstanceOf(DuplicateEventId);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('a command sent again with its idempotency key is found by its derived ids: one write, the first answer', async () => {
        // The key's record lives in the events (ids and metadata), so every adapter must give both back as written.
        const idempotency = { key: 'order-17/attempt', requestHash: 'sha256-of-the-request' };
        const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'tester', role: 'agent' }, source: 'api', idempotency };
        const decider = { decide: () => [{ ...write('A', { n: 1 }), occurredAt: '2025-01-01T00:00:00.000Z' }], evolve: () => null, initialState: () => null };
        const first = await handleCommand(store, stream, decider, {}, { metadata, newId: randomUUID });
        const retry = await handleCommand(store, stream, decider, {}, { metadata, newId: randomUUID });
        expect(retry).toEqual({ ...first, replayed: true });
        const events = await store.readStream(stream);
        expect(events.map(nameOf)).toEqual(['A']);
        expect(events[0].metadata.idempotency).toEqual(idempotency);
      });
    });

    describe('batch appends (bulk import)', () => {
      it('appends to several streams at once; readStreams returns each history in order, and omits empty streams', async () => {
        const other = `customer-${randomUUID()}`;
        await store.append(other, [eventNamed('A')]);
        await store.appendBatch([
          { streamId: stream, events: [eventNamed('A'), eventNamed('B')], expectedVersion: 'no_stream' },
          { streamId: other, events: [eventNamed('C')], expectedVersion: 1 },
        ]);
        const histories = await store.readStreams([stream, other, `customer-${randomUUID()}`]);
        expect([...histories.keys()].sort()).toEqual([stream, other].sort());
        expect(histories.get(stream)!.map((e) => [nameOf(e), e.streamPosition])).toEqual([['A', 1], ['B', 2]]);
        expect(histories.get(other)!.map((e) => [nameOf(e), e.streamPosition])).toEqual([['A', 1], ['C', 2]]);
        expect(await store.readStream(other)).toEqual(histories.get(other));
      });

      it('a wrong expected version fails the batch and leaves that stream as it was', async () => {
        await store.append(stream, [eventNamed('A')]);
        const error = await store.appendBatch([{ streamId: stream, events: [eventNamed('B')], expectedVersion: 0 }]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect((error as WrongExpectedVersion).actual).toBe(1);
        expect((await store.readStream(stream)).map(nameOf)).toEqual(['A']);
      });

      it('an event id that is already stored fails the batch', async () => {
        const stored = eventNamed('A');
        await store.append(stream, [stored]);
        await expect(store.appendBatch([{ streamId: stream, events: [stored], expectedVersion: 1 }])).rejects.toBeInstanceOf(DuplicateEventId);
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe('reading', () => {
      beforeEach(async () => {
        for (let i = 1; i <= 5; i++) await store.append(stream, [eventNamed(`E${i}`, { i }, `2025-01-0${i}T12:00:00.000Z`)]);
      });

      it('reads a stream forward and backward with metadata and times', async () => {
        const forward = await store.readStream(stream);
        expect(forward.map(nameOf)).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);
        expect(forward[0]).toMatchObject({ streamId: stream, streamPosition: 1, data: { i: 1 }, occurredAt: '2025-01-01T12:00:00.000Z' });
        expect(forward[0].metadata).toMatchObject({ eventId: forward[0].eventId, actor: { id: 'tester', role: 'agent' }, schemaVersion: 1 });
        expect(Date.parse(forward[0].recordedAt)).not.toBeNaN();
        const backward = await store.readStream(stream, { direction: 'backward', limit: 2 });
        expect(backward.map(nameOf)).toEqual(['E5', 'E4']);
      });

      it('reads a range of stream positions', async () => {
        expect((await store.readStream(stream, { fromPosition: 2, toPosition: 4 })).map(nameOf)).toEqual(['E2', 'E3', 'E4']);
        expect((await store.readStream(stream, { fromPosition: 4, direction: 'backward' })).map(nameOf)).toEqual(['E5', 'E4']);
      });

      it('reads up to an occurredAt instant', async () => {
        const asOf = await store.readStream(stream, { occurredUntil: '2025-01-03T18:00:00Z' });
        expect(asOf.map(nameOf)).toEqual(['E1', 'E2', 'E3']);
        expect(await store.readStream(stream, { occurredUntil: '2024-12-31T00:00:00Z' })).toEqual([]);
      });

      it('reads the global log in pages, in append order, without gaps or repeats', async () => {
        const other = `${stream}-b`;
        const { position } = await store.append(other, [eventNamed('F1'), eventNamed('F2')]);
        const mine = (await readEverything(store, position)).filter((e) => e.streamId === stream || e.streamId === other);
        expect(mine.map(nameOf)).toEqual(['E1', 'E2', 'E3', 'E4', 'E5', 'F1', 'F2']);
        const positions = mine.map((e) => e.globalPosition);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(positions.length);
      });

      it('reports how far a reader is behind, and the checkpoint of a position', async () => {
        const [newest] = await store.readStream(stream, { direction: 'backward', limit: 1 });
        const all = await readEverything(store, newest.globalPosition);
        const last = all[all.length - 1];
        expect(await store.lag(last.checkpoint)).toEqual({ events: 0, oldestRecordedAt: null });
        expect((await store.lag(all[all.length - 3].checkpoint)).events).toBe(2);
        expect(await store.checkpointOf(last.globalPosition)).toBe(last.checkpoint);
      });
    });

    it('subscribe catches up, then delivers live appends', async () => {
      await store.append(stream, [eventNamed('Old')]);
      const controller = new AbortController();
      const seen: string[] = [];
      const done = (async () => {
        for await (const batch of store.subscribe(START, { signal: controller.signal, pollIntervalMs: 50 })) {
          seen.push(...batch.filter((e) => e.streamId === stream).map(nameOf));
          if (seen.includes('New')) controller.abort();
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.append(stream, [eventNamed('New')]);
      await done;
      expect(seen).toEqual(['Old', 'New']);
    });
  });
}
