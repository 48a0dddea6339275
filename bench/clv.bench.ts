/**
 * CLV benchmark (issue 5): `npm run bench` (last) or `npm run bench:clv`. No database. Simulates the transactions of
 * BENCH_CLV_CUSTOMERS customers (default 100,000) from CDNOW-like BG/NBD and Gamma-Gamma parameters, observed 39 to
 * 78 weeks after their first purchase, on whole days (so several purchases a day merge, as in real data); summarises
 * them in weeks; then times, BENCH_CLV_RUNS times each (default 3, median reported): fitBgModel for BG/NBD and for
 * MBG/NBD and fitParetoNbd (target: under 10 s), and scoring every customer with the fitted BG/NBD (P(alive), expected purchases over
 * 52 weeks, Gamma-Gamma value per purchase and the discounted CLV over 52 weeks: target under 2 s).
 */
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  clv,
  expectedPurchases,
  expectedValuePerPurchase,
  fitBgModel,
  fitGammaGamma,
  fitParetoNbd,
  groupHistories,
  pAlive,
  simulateTransactions,
  summarise,
  type BgFit,
  type ModelName,
} from '../libs/clv/src';
import { envNumber, fmt, log, median } from './bench-support';

const CUSTOMERS = envNumber('BENCH_CLV_CUSTOMERS', 100_000);
const RUNS = envNumber('BENCH_CLV_RUNS', 3);
const TARGET_FIT_S = 10;
const TARGET_SCORE_S = 2;
const HORIZON_WEEKS = 52;
const OBSERVATION_END = '2026-01-01';

const seconds = (work: () => void): number => {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
};

function main(): void {
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
  let transactions: ReturnType<typeof simulateTransactions> = [];
  const simulate = seconds(() => {
    transactions = simulateTransactions('bgnbd', { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, { p: 6.25, q: 3.74, v: 15.44 }, CUSTOMERS, {
      minT: 39,
      maxT: 78,
      seed: 2026,
      unit: 'week',
      observationEnd: OBSERVATION_END,
    });
  });
  let customers: ReturnType<typeof summarise> = [];
  const summarising = seconds(() => {
    customers = summarise(transactions, OBSERVATION_END, 'week');
  });
  const repeatBuyers = customers.filter((c) => c.x > 0).length;
  log(
    `simulated ${fmt(transactions.length)} transactions of ${fmt(customers.length)} customers (${fmt(repeatBuyers)} repeat buyers, ` +
      `${fmt(groupHistories(customers).x.length)} distinct (x, tx, T) rows) in ${simulate.toFixed(2)} s; summarised in ${summarising.toFixed(2)} s`,
  );

  const fits = {} as Record<ModelName, { fit: BgFit; times: number[] }>;
  for (const model of ['bgnbd', 'mbgnbd'] as const) {
    const times: number[] = [];
    let fit: BgFit | undefined;
    for (let run = 0; run < RUNS; run++) {
      times.push(
        seconds(() => {
          fit = fitBgModel(model, customers);
        }),
      );
    }
    fits[model] = { fit: fit!, times };
    const p = fit!.params;
    log(
      `fit ${model}: ${times.map((t) => t.toFixed(3)).join(' / ')} s; r ${p.r.toFixed(3)} alpha ${p.alpha.toFixed(3)} a ${p.a.toFixed(3)} b ${p.b.toFixed(3)}, ` +
        `${fit!.method}, ${fit!.iterations} iterations, converged ${fit!.converged}`,
    );
  }
  // Pareto/NBD (issue 19) on the same customers: simulated from BG/NBD, so its parameters describe them less well;
  // timed for its numerical gradient (nine likelihoods a step where BG/NBD's analytic one costs one).
  const paretoTimes: number[] = [];
  let pareto: ReturnType<typeof fitParetoNbd> | undefined;
  for (let run = 0; run < RUNS; run++) {
    paretoTimes.push(
      seconds(() => {
        pareto = fitParetoNbd(customers);
      }),
    );
  }
  const pp = pareto!.params;
  log(
    `fit pareto-nbd: ${paretoTimes.map((t) => t.toFixed(3)).join(' / ')} s; r ${pp.r.toFixed(3)} alpha ${pp.alpha.toFixed(3)} s ${pp.s.toFixed(3)} beta ${pp.beta.toFixed(3)}, ` +
      `${pareto!.method}, ${pareto!.iterations} iterations, converged ${pareto!.converged}, log-likelihood ${pareto!.logLikelihood.toFixed(1)} (BG/NBD ${fits.bgnbd.fit.logLikelihood.toFixed(1)})`,
  );
  let gammaGamma: ReturnType<typeof fitGammaGamma> | undefined;
  const gammaGammaSeconds = seconds(() => {
    gammaGamma = fitGammaGamma(customers);
  });
  const gg = gammaGamma!.params;
  log(`fit Gamma-Gamma on ${fmt(gammaGamma!.repeatBuyers)} repeat buyers: ${gammaGammaSeconds.toFixed(3)} s; p ${gg.p.toFixed(2)} q ${gg.q.toFixed(2)} v ${gg.v.toFixed(2)}`);

  const { params } = fits.bgnbd.fit;
  const options = { horizon: HORIZON_WEEKS, margin: 0.3, annualDiscountRate: 0.1, unit: 'week' as const };
  const scoreTimes: number[] = [];
  // Sums of what a score computes, printed so that none of it is work thrown away.
  const sums = { alive: 0, purchases: 0, clv: 0 };
  for (let run = 0; run < RUNS; run++) {
    sums.alive = sums.purchases = sums.clv = 0;
    scoreTimes.push(
      seconds(() => {
        for (const c of customers) {
          sums.alive += pAlive('bgnbd', params, c);
          sums.purchases += expectedPurchases('bgnbd', params, c, HORIZON_WEEKS);
          sums.clv += clv('bgnbd', params, expectedValuePerPurchase(gg, c), c, options);
        }
      }),
    );
  }
  log(
    `score: ${scoreTimes.map((t) => t.toFixed(3)).join(' / ')} s; expected alive ${fmt(sums.alive)}, ` +
      `purchases in 52 weeks ${fmt(sums.purchases)}, CLV ${fmt(sums.clv)} (margin 0.3, 10% a year)`,
  );

  const rows: [string, number, number][] = [
    [`fit BG/NBD, ${fmt(customers.length)} customers`, median(fits.bgnbd.times), TARGET_FIT_S],
    [`fit MBG/NBD, ${fmt(customers.length)} customers`, median(fits.mbgnbd.times), TARGET_FIT_S],
    [`fit Pareto/NBD, ${fmt(customers.length)} customers`, median(paretoTimes), TARGET_FIT_S],
    [`score ${fmt(customers.length)} customers (P(alive), E[52 weeks], value, CLV)`, median(scoreTimes), TARGET_SCORE_S],
  ];
  console.log(`CLV benchmark: median of ${RUNS} runs`);
  for (const [label, median, target] of rows) console.log(`  ${label.padEnd(64)} ${median.toFixed(3)} s   target ${target} s   ${(median / target).toFixed(3)} of target`);
  console.log(`  (fit Gamma-Gamma on ${fmt(gammaGamma!.repeatBuyers)} repeat buyers: ${gammaGammaSeconds.toFixed(3)} s, once; not a target)`);
}

main();
