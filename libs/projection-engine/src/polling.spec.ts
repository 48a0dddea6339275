import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { withDeadline } from './polling';

// The garbage collector, on demand: what took the timeout signal of AbortSignal.any([signal, AbortSignal.timeout(ms)]).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A wait that ends only when its signal aborts, or 'hung' after `ms`. */
const waitFor = (signal: AbortSignal, ms: number): Promise<string> =>
  new Promise((resolve) => {
    const hung = setTimeout(() => resolve('hung'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(hung);
      resolve('ended');
    }, { once: true });
  });

describe('withDeadline', () => {
  it('ends every wait at its deadline, though the garbage collector runs meanwhile', async () => {
    const never = new AbortController();
    const waits = Array.from({ length: 20 }, () => withDeadline(never.signal, 50, (signal) => waitFor(signal, 1_000)));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    expect(await Promise.all(waits)).toEqual(Array(20).fill('ended'));
  });

  it('ends the wait when the outer signal aborts, and at once when it has already', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const wait = withDeadline(stop.signal, 60_000, (signal) => waitFor(signal, 5_000));
    stop.abort();
    expect(await wait).toBe('ended');
    expect(await withDeadline(stop.signal, 60_000, (signal) => Promise.resolve(signal.aborted))).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives the wait its result, and leaves no listener on the outer signal', async () => {
    const outer = new AbortController();
    let added = 0;
    let removed = 0;
    const add = outer.signal.addEventListener.bind(outer.signal);
    const remove = outer.signal.removeEventListener.bind(outer.signal);
    outer.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    outer.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    expect(await withDeadline(outer.signal, 1_000, async () => 'batch')).toBe('batch');
    await expect(withDeadline(outer.signal, 1_000, async () => Promise.reject(new Error('read failed')))).rejects.toThrow('read failed');
    expect([added, removed]).toEqual([2, 2]);
  });
});
