/**
 * The 95 % interval of an NPS (issue 19). Each answer scores +1 (promoter, 9-10), 0 (passive, 7-8) or −1 (detractor,
 * 0-6); NPS is 100 times their mean. Its standard error is that of a mean, sqrt(variance / n), with the variance of
 * the scores taken from the answers themselves: p(promoter) + p(detractor) − (p(promoter) − p(detractor))². The
 * interval is NPS ± z(0.975) · 100 · SE (Wald, normal approximation), cut to [−100, 100]. With few answers (say under
 * 30), or when all answers agree (variance 0, the interval shrinks to the point), it claims more than it knows: the
 * number of answers is given beside it for that reason.
 */
export const Z_95 = 1.959964;

export interface NpsInterval {
  /** Lower and upper bound in NPS points, rounded to 1 decimal (half away from zero); null without answers. */
  low: number | null;
  high: number | null;
}

/** One decimal, a half away from zero (as npsOf rounds, and PostgreSQL's round on numeric). */
const tenth = (value: number): number => {
  const rounded = Math.round(Math.abs(value) * 10);
  return rounded === 0 ? 0 : (Math.sign(value) * rounded) / 10;
};

export function npsInterval(promoters: number, detractors: number, answers: number): NpsInterval {
  if (answers === 0) return { low: null, high: null };
  const mean = (promoters - detractors) / answers;
  const variance = Math.max(0, (promoters + detractors) / answers - mean * mean);
  const margin = Z_95 * Math.sqrt(variance / answers);
  return { low: tenth(100 * Math.max(-1, mean - margin)), high: tenth(100 * Math.min(1, mean + margin)) };
}
