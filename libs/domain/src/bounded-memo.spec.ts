import { BoundedMemo, GroupedMemo } from './bounded-memo';

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

describe('GroupedMemo', () => {
  it('keeps the same number apart in different groups, and computes each once while remembered', () => {
    const memo = new GroupedMemo<string>(10);
    const compute = jest.fn((group: string, key: number) => `${group}:${key}`);
    const get = (group: string, key: number): string => memo.get(group, key, () => compute(group, key));
    expect([get('Europe/Lisbon', 1), get('Asia/Tokyo', 1), get('Europe/Lisbon', 1), get('Europe/Lisbon', 2)]).toEqual(['Europe/Lisbon:1', 'Asia/Tokyo:1', 'Europe/Lisbon:1', 'Europe/Lisbon:2']);
    expect(compute).toHaveBeenCalledTimes(3);
    expect(memo.size).toBe(3);
  });

  it('never holds more than its limit over all groups: a full memo starts afresh', () => {
    const memo = new GroupedMemo<number>(100);
    for (let i = 0; i < 10_000; i++) {
      memo.get(`zone-${i % 7}`, i, () => i);
      expect(memo.size).toBeLessThanOrEqual(100);
    }
    const compute = jest.fn(() => 0);
    memo.get('zone-0', 0, compute);
    expect(compute).toHaveBeenCalledTimes(1);
  });
});
