import { createHmac } from 'node:crypto';
import { armOf, assignmentDraw, assignmentKeyObject, newAssignmentKey } from './campaign-assignment';

const KEY = '5f1c0e8a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e';

describe('campaign assignment', () => {
  it('is the HMAC-SHA256 of campaign:customer under the key, read as a number in [0, 1)', () => {
    const digest = createHmac('sha256', Buffer.from(KEY, 'hex')).update('cmp-1:cust-42').digest();
    const expected = Number(digest.readBigUInt64BE(0) >> 12n) / 2 ** 52;
    expect(assignmentDraw(KEY, 'cmp-1', 'cust-42')).toBe(expected);
  });

  it('is the same on every call, and differs between campaigns and between keys', () => {
    const draws = Array.from({ length: 200 }, (_, i) => assignmentDraw(KEY, 'cmp-1', `c-${i}`));
    expect(Array.from({ length: 200 }, (_, i) => assignmentDraw(KEY, 'cmp-1', `c-${i}`))).toEqual(draws);
    const otherCampaign = Array.from({ length: 200 }, (_, i) => assignmentDraw(KEY, 'cmp-2', `c-${i}`));
    const otherKey = Array.from({ length: 200 }, (_, i) => assignmentDraw(newAssignmentKey(), 'cmp-1', `c-${i}`));
    expect(otherCampaign.filter((d, i) => d === draws[i])).toHaveLength(0);
    expect(otherKey.filter((d, i) => d === draws[i])).toHaveLength(0);
  });

  // Within 2 % of the share (9.8 % to 10.2 %), the stricter reading of the issue; 2 percentage points is looser.
  // One standard error at n = 100,000 is 0.095 points, so this fails only a hash far from uniform (10.046 % here).
  it('keeps the control arm within 2 % of a 10 % holdout over 100,000 customers', () => {
    const key = assignmentKeyObject(KEY);
    let control = 0;
    for (let i = 0; i < 100_000; i++) if (armOf(key, 'cmp-flight-deal', `customer-${i}`, 0.1) === 'control') control++;
    expect(Math.abs(control / 100_000 - 0.1)).toBeLessThan(0.002);
  });

  it('puts nobody in control at a holdout of 0', () => {
    expect(Array.from({ length: 1000 }, (_, i) => armOf(KEY, 'cmp-1', `c-${i}`, 0)).every((arm) => arm === 'treatment')).toBe(true);
  });

  it('takes the key from the injected random source', () => {
    expect(newAssignmentKey((bytes) => Buffer.alloc(bytes, 0xab))).toBe('ab'.repeat(32));
  });

  it('refuses a key that is not hex', () => {
    expect(() => assignmentDraw('not hex', 'cmp-1', 'c-1')).toThrow(RangeError);
  });
});
