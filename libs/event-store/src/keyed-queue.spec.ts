import { KeyedQueue, QueueRefused } from './keyed-queue';

/** A task that runs until the test releases it, recording when it started. */
function gate(log: string[], name: string): { task: () => Promise<string>; release: () => void; fail: (error: Error) => void } {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    release: () => release(),
    fail: (error) => fail(error),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const roomy = { maxWaiting: 100, timeoutMs: 10_000 };

describe('KeyedQueue', () => {
  it('runs the tasks of one key one at a time, in arrival order', async () => {
    const queue = new KeyedQueue(roomy);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        queue.run('customer-1', async () => {
          most = Math.max(most, ++running);
          log.push(`start ${n}`);
          // The first sleeps longest: without turns, the last would finish first.
          await new Promise((resolve) => setTimeout(resolve, 6 - n));
          log.push(`end ${n}`);
          running--;
          return n;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(log).toEqual([1, 2, 3, 4, 5].flatMap((n) => [`start ${n}`, `end ${n}`]));
    expect(most).toBe(1);
  });

  it('runs tasks of different keys side by side', async () => {
    const queue = new KeyedQueue(roomy);
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const ran = Promise.all([queue.run('customer-a', a.task), queue.run('customer-b', b.task)]);
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    b.release();
    a.release();
    expect(await ran).toEqual(['a', 'b']);
  });

  it('refuses a task beyond maxWaiting at once, and never runs it', async () => {
    const queue = new KeyedQueue({ maxWaiting: 2, timeoutMs: 10_000 });
    const log: string[] = [];
    const first = gate(log, 'first');
    const running = queue.run('k', first.task);
    const waiting = [queue.run('k', async () => 'w1'), queue.run('k', async () => 'w2')];
    const refused = await queue.run('k', async () => 'w3').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueRefused);
    expect(refused).toMatchObject({ key: 'k', reason: 'full', message: 'k is busy: its queue in this process is full (2 waiting)' });
    first.release();
    expect(await Promise.all([running, ...waiting])).toEqual(['first', 'w1', 'w2']);
    // Room again once the line has moved.
    expect(await queue.run('k', async () => 'later')).toBe('later');
  });

  it('refuses a task that waits longer than timeoutMs; it never runs, and the tasks behind it still do', async () => {
    const queue = new KeyedQueue({ maxWaiting: 10, timeoutMs: 30 });
    const log: string[] = [];
    const slow = gate(log, 'slow');
    const running = queue.run('k', slow.task);
    const late = queue.run('k', async () => log.push('late ran')).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const behind = queue.run('k', async () => 'behind');
    expect(await late).toMatchObject({ key: 'k', reason: 'timeout', message: 'k is busy: the command waited 30 ms for its turn' });
    slow.release();
    expect(await running).toBe('slow');
    expect(await behind).toBe('behind');
    expect(log).not.toContain('late ran');
  });

  it('passes a failing task its error and hands the key on, whether it rejects or throws at once', async () => {
    const queue = new KeyedQueue(roomy);
    const log: string[] = [];
    const failing = gate(log, 'failing');
    const rejected = queue.run('k', failing.task);
    const thrown = queue.run('k', () => {
      throw new Error('thrown before any await');
    });
    const after = queue.run('k', async () => 'after');
    failing.fail(new Error('rejected'));
    await expect(rejected).rejects.toThrow('rejected');
    await expect(thrown).rejects.toThrow('thrown before any await');
    expect(await after).toBe('after');
  });

  it('keeps no entry for a key once its line drains, however its tasks ended', async () => {
    const queue = new KeyedQueue({ maxWaiting: 1, timeoutMs: 20 });
    const log: string[] = [];
    const hold = gate(log, 'hold');
    const settled = Promise.allSettled([
      queue.run('a', hold.task),
      queue.run('a', async () => 'times out'),
      queue.run('a', async () => 'refused: full'),
      queue.run('b', async () => {
        throw new Error('fails');
      }),
      queue.run('c', async () => 'ok'),
    ]);
    await tick();
    expect(queue.activeKeys).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    hold.release();
    expect((await settled).map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'hold',
      'a is busy: the command waited 20 ms for its turn',
      'a is busy: its queue in this process is full (1 waiting)',
      'fails',
      'ok',
    ]);
    expect(queue.activeKeys).toBe(0);
  });
});
