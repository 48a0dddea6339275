import { RecentValue } from './recent-value';

describe('RecentValue (what /health answers from)', () => {
  let clock: number;
  let reads: number;
  let answer: () => Promise<number>;
  const value = (): RecentValue<number> => new RecentValue(() => answer(), 1_000, 10_000, () => clock);
  beforeEach(() => {
    clock = 0;
    reads = 0;
    answer = async () => ++reads;
  });

  it('reads once, then answers from memory while the value is fresh', async () => {
    const recent = value();
    expect(await recent.get()).toBe(1);
    clock = 999;
    expect(await recent.get()).toBe(1);
    expect(reads).toBe(1);
  });

  it('answers a stale value at once while one refresh runs for every caller', async () => {
    const recent = value();
    await recent.get();
    let release!: () => void;
    answer = () => new Promise((done) => (release = () => done(++reads)));
    clock = 5_000;
    expect(await Promise.all([recent.get(), recent.get(), recent.get()])).toEqual([1, 1, 1]);
    release();
    await new Promise(setImmediate);
    expect(reads).toBe(2);
    expect(await recent.get()).toBe(2);
  });

  it('waits for a fresh read once the value is older than the stale bound', async () => {
    const recent = value();
    await recent.get();
    clock = 10_000;
    expect(await recent.get()).toBe(2);
  });

  it('after a failed refresh, the next caller waits for a read and sees its error: a lost database is not hidden', async () => {
    const recent = value();
    await recent.get();
    answer = () => Promise.reject(new Error('connection refused'));
    clock = 2_000;
    expect(await recent.get()).toBe(1);
    await new Promise(setImmediate);
    await expect(recent.get()).rejects.toThrow('connection refused');
    answer = async () => 42;
    expect(await recent.get()).toBe(42);
  });
});
