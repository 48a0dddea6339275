import { BoundedMemo } from './bounded-memo';

describe('BoundedMemo', () => {
  it('computes a key once while it is remembered', () => {
    const memo = new BoundedMemo<number>(3);
    const compute = jest.fn((key: string) => key.length);
    expect([memo.get('a', compute), memo.get('bb', compute), memo.get('a', compute)]).toEqual([1, 2, 1]);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('never holds more than its limit: a full memo starts afresh', () => {
    const memo = new BoundedMemo<number>(100);
    for (let i = 0; i < 10_000; i++) {
      memo.get(`k${i}`, () => i);
      expect(memo.size).toBeLessThanOrEqual(100);
    }
    const compute = jest.fn(() => 0);
    memo.get('k0', compute);
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('remembers neither undefined nor a failed computation', () => {
    const memo = new BoundedMemo<string | undefined>(10);
    expect(memo.get('x', () => undefined)).toBeUndefined();
    expect(() => memo.get('y', () => { throw new RangeError('bad'); })).toThrow('bad');
    expect(memo.size).toBe(0);
  });
});
