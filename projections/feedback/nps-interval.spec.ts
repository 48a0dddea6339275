import { npsInterval } from './nps-interval';

describe('the 95 % interval of an NPS (Wald, variance of the −1/0/+1 scores)', () => {
  it('matches a value worked out by hand', () => {
    // 5 promoters, 2 passives, 3 detractors: mean 0.2, variance 0.5 + 0.3 − 0.2² = 0.76, SE sqrt(0.76 / 10) = 0.275681,
    // margin 1.959964 × 0.275681 = 0.540324: NPS 20 ± 54.03 = [−34.0, 74.0].
    expect(npsInterval(5, 3, 10)).toEqual({ low: -34, high: 74 });
  });

  it('is cut to [−100, 100]', () => {
    // 3 promoters, 1 detractor: mean 0.5, variance 1 − 0.25 = 0.75, SE sqrt(0.75 / 4) = 0.433013, margin 0.848690:
    // [−34.9, 134.9], cut to 100.
    expect(npsInterval(3, 1, 4)).toEqual({ low: -34.9, high: 100 });
  });

  it('shrinks to the point when every answer agrees, and is null without answers', () => {
    expect(npsInterval(1, 0, 1)).toEqual({ low: 100, high: 100 });
    expect(npsInterval(0, 0, 6)).toEqual({ low: 0, high: 0 });
    expect(npsInterval(0, 0, 0)).toEqual({ low: null, high: null });
  });

  it('narrows with the square root of the number of answers', () => {
    // The same shares (50 % promoters, 30 % detractors) from 1,000 answers: margin 1.959964 × sqrt(0.76 / 1000) = 5.40 points.
    expect(npsInterval(500, 300, 1000)).toEqual({ low: 14.6, high: 25.4 });
  });
});
