import { randomUUID } from 'node:crypto';
import { handleCommand, type CommandContext, type Decider } from './command-handling';
import { START, WrongExpectedVersion } from './event-store.port';
import { IdempotencyKeyReused, uuidFrom } from './idempotency';
import { InMemoryEventStore } from './in-memory-event-store';
import { KeyedQueue, QueueRefused } from './keyed-queue';

interface Count {
  type: 'Count';
  n: number;
}
interface Counted {
  type: 'Counted';
  data: { n: number; item?: string };
  occurredAt: string;
}

const counter: Decider<Count, number, Counted> = {
  decide: (command) => [{ type: 'Counted', data: { n: command.n }, occurredAt: '2025-01-01T00:00:00Z' }],
  evolve: (state) => state + 1,
  initialState: () => 0,
};

const context = (extra: Partial<CommandContext> = {}): CommandContext => ({
  metadata: { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'tester', role: 'agent' }, source: 'system' },
  newId: randomUUID,
  // No retries: any conflict between these commands would fail them.
  maxRetries: 0,
  ...extra,
});

describe('handleCommand with a queue', () => {
  it('lets 40 concurrent commands on one stream through without a single conflict', async () => {
    const store = new InMemoryEventStore();
    const queue = new KeyedQueue({ maxWaiting: 100, timeoutMs: 10_000 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, n) => handleCommand(store, 'customer-hot', counter, { type: 'Count', n }, context({ queue }))));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await store.readStream('customer-hot')).map((e) => e.data.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(queue.activeKeys).toBe(0);
  });

  it('without one, the same commands conflict (what the queue prevents)', async () => {
    const store = new InMemoryEventStore();
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, n) => handleCommand(store, 'customer-hot', counter, { type: 'Count', n }, context())));
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof WrongExpectedVersion).length).toBeGreaterThan(0);
  });

  it('refuses a command its queue has no room for, before it reads or writes', async () => {
    const store = new InMemoryEventStore();
    const queue = new KeyedQueue({ maxWaiting: 1, timeoutMs: 10_000 });
    const results = await Promise.allSettled(Array.from({ length: 3 }, (_, n) => handleCommand(store, 'customer-hot', counter, { type: 'Count', n }, context({ queue }))));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.version : r.reason instanceof QueueRefused && r.reason.reason))).toEqual([1, 2, 'full']);
    expect(await store.readStream('customer-hot')).toHaveLength(2);
  });
});

describe('handleCommand with an idempotency key', () => {
  /** Records one event per item, at the instant the command says (a retry that lets it default to "now" differs there). */
  interface Note {
    type: 'Note';
    items: string[];
    at: string;
  }
  const notes: Decider<Note, number, Counted> = {
    decide: (command) => command.items.map((item, n) => ({ type: 'Counted', data: { n, item }, occurredAt: command.at })),
    evolve: (state) => state + 1,
    initialState: () => 0,
  };
  const note = (at = '2025-01-01T00:00:00.000Z', items = ['a']): Note => ({ type: 'Note', items, at });
  const keyed = (key: string, requestHash = 'request-1', actor = 'tester', extra: Partial<CommandContext> = {}) =>
    context({ metadata: { ...context().metadata, actor: { id: actor, role: 'agent' }, idempotency: { key, requestHash } }, ...extra });

  it('derives ids from text as imports always have: a re-import must meet the ids of its first run', () => {
    expect(uuidFrom('{"type":"RegisterCustomer"}')).toBe('57d1532f-a123-5eb8-951d-eca316fcea57');
  });

  it('a retry gets the first answer, after other commands too, and writes nothing', async () => {
    const store = new InMemoryEventStore();
    const first = await handleCommand(store, 'customer-1', notes, note(undefined, ['a', 'b']), keyed('k-1'));
    await handleCommand(store, 'customer-1', notes, note(), context());
    const retry = await handleCommand(store, 'customer-1', notes, note('2025-02-02T00:00:00.000Z', ['a', 'b']), keyed('k-1', undefined, undefined, { expectedVersion: 0 }));
    expect(first).toEqual({ version: 2, position: 2, events: 2 });
    expect(retry).toEqual({ ...first, replayed: true });
    const stored = await store.readStream('customer-1');
    expect(stored).toHaveLength(3);
    expect(stored[0].metadata.idempotency).toEqual({ key: 'k-1', requestHash: 'request-1' });
  });

  it('the same key for another request, on this stream or another, is refused and writes nothing', async () => {
    const store = new InMemoryEventStore();
    await handleCommand(store, 'customer-1', notes, note(), keyed('k-1'));
    await expect(handleCommand(store, 'customer-1', notes, note(), keyed('k-1', 'request-2'))).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(handleCommand(store, 'customer-2', notes, note(), keyed('k-1', 'request-2'))).rejects.toBeInstanceOf(IdempotencyKeyReused);
    expect((await store.readAll(START, 10)).events).toHaveLength(1);
  });

  it('a key is the caller’s: another caller’s same key writes its own events', async () => {
    const store = new InMemoryEventStore();
    const mine = await handleCommand(store, 'customer-1', notes, note(), keyed('k-1', undefined, 'me'));
    const theirs = await handleCommand(store, 'customer-1', notes, note(), keyed('k-1', undefined, 'them'));
    expect([mine.version, theirs.version]).toEqual([1, 2]);
  });

  it('duplicates racing without a queue (two processes): one write, both get its answer', async () => {
    const store = new InMemoryEventStore();
    // Each defaulted "now" differently, so the loser's append meets the winner's ids with other content.
    const results = await Promise.all([note('2025-01-01T00:00:00.000Z'), note('2025-01-01T00:00:00.001Z')].map((command) => handleCommand(store, 'customer-1', notes, command, keyed('k-1'))));
    expect(results.map(({ version, position }) => ({ version, position }))).toEqual([
      { version: 1, position: 1 },
      { version: 1, position: 1 },
    ]);
    expect(await store.readStream('customer-1')).toHaveLength(1);
  });
});

describe('handleCommand with a natural id', () => {
  interface Open {
    type: 'Open';
    id: string;
    name: string;
    at: string;
  }
  interface Opened {
    type: 'Opened';
    data: { id: string; name: string };
    occurredAt: string;
  }
  const accounts: Decider<Open, string[], Opened> = {
    decide: (command, opened) => {
      if (opened.includes(command.id)) throw new Error(`account ${command.id} exists`);
      return [{ type: 'Opened', data: { id: command.id, name: command.name }, occurredAt: command.at }];
    },
    evolve: (opened, event) => [...opened, event.data.id],
    initialState: () => [],
    creationOf: (command, history) => history.findIndex((event) => (event.data as { id?: string }).id === command.id),
  };
  const open = (id: string, name: string, at = '2025-01-01T00:00:00.000Z'): Open => ({ type: 'Open', id, name, at });

  it('the same content again gets the first answer, whenever it occurred; other content meets the conflict', async () => {
    const store = new InMemoryEventStore();
    const first = await handleCommand(store, 'bank-1', accounts, open('a1', 'Ann'), context());
    await handleCommand(store, 'bank-1', accounts, open('a2', 'Bob'), context());
    expect(await handleCommand(store, 'bank-1', accounts, open('a1', 'Ann', '2025-03-03T00:00:00.000Z'), context({ expectedVersion: 1 }))).toEqual({ ...first, replayed: true });
    await expect(handleCommand(store, 'bank-1', accounts, open('a1', 'Annie'), context())).rejects.toThrow('account a1 exists');
    expect(await store.readStream('bank-1')).toHaveLength(2);
  });
});
