import { nextLimit } from './overload';

describe('nextLimit (the limit of commands in flight, per window of the API thread)', () => {
  const limits = { maxInFlight: 64, maxBusyPercent: 85 };

  it('comes down by a quarter after a window busier than allowed, never below one', () => {
    expect(nextLimit(64, 86, limits)).toBe(48);
    expect(nextLimit(48, 100, limits)).toBe(36);
    expect(nextLimit(2, 99, limits)).toBe(1);
    expect(nextLimit(1, 100, limits)).toBe(1);
  });

  it('goes back up by a sixteenth of the maximum after a window within the share, never above the maximum', () => {
    expect(nextLimit(1, 85, limits)).toBe(5);
    expect(nextLimit(36, 10, limits)).toBe(40);
    expect(nextLimit(62, 0, limits)).toBe(64);
    expect(nextLimit(64, 50, limits)).toBe(64);
    expect(nextLimit(1, 50, { maxInFlight: 3, maxBusyPercent: 85 })).toBe(2);
  });

  it('never comes down at 100 percent: the thread cannot be busier than the whole window', () => {
    expect(nextLimit(64, 100, { maxInFlight: 64, maxBusyPercent: 100 })).toBe(64);
  });

  it('takes a saturated thread from the maximum to one in flight within a few windows', () => {
    let limit = 64;
    let windows = 0;
    while (limit > 1) {
      limit = nextLimit(limit, 100, limits);
      windows++;
    }
    expect(windows).toBe(12);
  });
});
