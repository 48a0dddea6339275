import { randomUUID } from 'node:crypto';
import { handleCommand, type CommandContext, type Decider } from './command-handling';
import { WrongExpectedVersion } from './event-store.port';
import { InMemoryEventStore } from './in-memory-event-store';
import { KeyedQueue, QueueRefused } from './keyed-queue';

interface Count {
  type: 'Count';
  n: number;
}
interface Counted {
  type: 'Counted';
  data: { n: number };
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
