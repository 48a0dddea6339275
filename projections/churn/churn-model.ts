import type { Pool, PoolClient } from 'pg';
import { scoreCustomer, purchasesOf, type ChurnConfig, type ChurnModel, type ChurnScore } from '../../libs/churn/src';
import {
  expectedPurchases,
  fitBgModel,
  fitGammaGamma,
  NotIdentifiable,
  summarise,
  UNIT_DAYS,
  type BgParams,
  type GammaGammaParams,
  type Transaction,
} from '../../libs/clv/src';
import { copyInto, copyLines, inTransaction } from '../../libs/postgres/src';
import { isoInstantSql } from '../../libs/projection-engine/src';
import { BaseCurrency, monthsBefore, type SegmentConfig } from '../../libs/segments/src';
import { loadChurnFacts } from './churn-facts.queries';

/*
 * The churn model in the engine: fitted on the trips completed by a cut-off (with a holdout check) and stored, then
 * every customer scored with the current fit. The facts come from churn-facts.queries.ts; the API reads the scores
 * through churn-risk.queries.ts.
 */

/** Money settings come from the segments config (one base currency and rate table for the whole engine). */
export interface ChurnSettings {
  churn: ChurnConfig;
  currency: SegmentConfig['currency'];
}

const DAY_MS = 86_400_000;

export interface HoldoutCheck {
  calibrationEnd: string;
  customers: number;
  /** Repeat trips per customer in (calibrationEnd, cutoff]: mean absolute and root-mean-square error. */
  meanAbsoluteError: number;
  rootMeanSquareError: number;
  predictedTrips: number;
  actualTrips: number;
}

export interface ChurnFit {
  fitId: number;
  cutoff: string;
  model: ChurnModel['model'];
  unit: ChurnModel['unit'];
  params: BgParams;
  standardErrors: BgParams;
  logLikelihood: number;
  gammaGamma: GammaGammaParams | null;
  customers: number;
  repeatBuyers: number;
  converged: boolean;
  method: string;
  /** Null when the calibration part alone could not identify the model (the reason is in `holdoutError`). */
  holdout: HoldoutCheck | null;
  holdoutError?: string;
  configVersion: string;
  trigger: 'schedule' | 'on-demand';
  actor: string;
  fittedAt: string;
  durationMs: number;
}

/** Fits on the trips completed by `calibrationEnd` and compares the predicted repeat trips up to `cutoff` with the actual ones. */
function holdoutCheck(purchases: Transaction[], settings: ChurnSettings, cutoff: number): HoldoutCheck {
  const { name, unit } = settings.churn.model;
  const calibrationEnd = monthsBefore(cutoff, settings.churn.model.holdoutMonths);
  const calibration = summarise(purchases, new Date(calibrationEnd).toISOString(), unit);
  const fit = fitBgModel(name, calibration);
  const actual = new Map<string, Set<string>>();
  for (const p of purchases) {
    const at = Date.parse(p.at);
    if (at <= calibrationEnd || at > cutoff) continue;
    const days = actual.get(p.customerId) ?? new Set<string>();
    actual.set(p.customerId, days.add(p.at.slice(0, 10)));
  }
  const horizon = (cutoff - calibrationEnd) / DAY_MS / UNIT_DAYS[unit];
  let absolute = 0;
  let squared = 0;
  let predictedTrips = 0;
  let actualTrips = 0;
  for (const customer of calibration) {
    const predicted = expectedPurchases(name, fit.params, customer, horizon);
    const real = actual.get(customer.customerId)?.size ?? 0;
    absolute += Math.abs(predicted - real);
    squared += (predicted - real) ** 2;
    predictedTrips += predicted;
    actualTrips += real;
  }
  const n = calibration.length;
  return {
    calibrationEnd: new Date(calibrationEnd).toISOString(),
    customers: n,
    meanAbsoluteError: Number((absolute / n).toFixed(4)),
    rootMeanSquareError: Number(Math.sqrt(squared / n).toFixed(4)),
    predictedTrips: Number(predictedTrips.toFixed(1)),
    actualTrips,
  };
}

const FIT_COLUMNS = `fit_id, ${isoInstantSql('cutoff')} AS cutoff, model, unit, params, standard_errors, log_likelihood, gamma_gamma, customers, repeat_buyers,
  converged, method, holdout, config_version, trigger, actor, ${isoInstantSql('fitted_at')} AS fitted_at, duration_ms`;

const fitOf = (row: Record<string, unknown>): ChurnFit => {
  const holdout = row.holdout as (HoldoutCheck & { error?: string }) | null;
  return {
    fitId: Number(row.fit_id),
    cutoff: row.cutoff as string,
    model: row.model as ChurnFit['model'],
    unit: row.unit as ChurnFit['unit'],
    params: row.params as BgParams,
    standardErrors: row.standard_errors as BgParams,
    logLikelihood: row.log_likelihood as number,
    gammaGamma: row.gamma_gamma as GammaGammaParams | null,
    customers: row.customers as number,
    repeatBuyers: row.repeat_buyers as number,
    converged: row.converged as boolean,
    method: row.method as string,
    holdout: holdout?.error === undefined ? holdout : null,
    ...(holdout?.error === undefined ? {} : { holdoutError: holdout.error }),
    configVersion: row.config_version as string,
    trigger: row.trigger as ChurnFit['trigger'],
    actor: row.actor as string,
    fittedAt: row.fitted_at as string,
    durationMs: row.duration_ms as number,
  };
};

/** The current model: the latest successful fit. */
export async function currentFit(pool: Pool | PoolClient): Promise<ChurnFit | null> {
  const { rows } = await pool.query(`SELECT ${FIT_COLUMNS} FROM read_models.churn_model_fits ORDER BY fit_id DESC LIMIT 1`);
  return rows[0] ? fitOf(rows[0]) : null;
}

/**
 * Fits the model on the trips completed by `cutoff`, checks it on a holdout, and stores it as the current model.
 * Throws NotIdentifiable (nothing stored: the previous fit stays current) when the data cannot identify the model.
 */
export async function fitAndRecord(pool: Pool, settings: ChurnSettings, options: { cutoff: string; trigger: ChurnFit['trigger']; actor: string }): Promise<ChurnFit> {
  const started = Date.now();
  const cutoff = Date.parse(options.cutoff);
  const money = new BaseCurrency(settings.currency);
  const purchases = (await loadChurnFacts(pool, cutoff, { churn: settings.churn, signals: false })).flatMap((facts) => purchasesOf(facts, cutoff, money));
  const { name, unit } = settings.churn.model;
  const customers = summarise(purchases, new Date(cutoff).toISOString(), unit);
  const fit = fitBgModel(name, customers);
  let gammaGamma: GammaGammaParams | null = null;
  try {
    gammaGamma = fitGammaGamma(customers).params;
  } catch (error) {
    if (!(error instanceof NotIdentifiable)) throw error;
  }
  let holdout: HoldoutCheck | { error: string };
  try {
    holdout = holdoutCheck(purchases, settings, cutoff);
  } catch (error) {
    if (!(error instanceof NotIdentifiable)) throw error;
    holdout = { error: error.message };
  }
  const { rows } = await pool.query(
    `INSERT INTO read_models.churn_model_fits (cutoff, model, unit, params, standard_errors, log_likelihood, gamma_gamma, customers, repeat_buyers,
       converged, method, holdout, config_version, trigger, actor, fitted_at, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now(), $16) RETURNING ${FIT_COLUMNS}`,
    [
      new Date(cutoff),
      name,
      unit,
      fit.params,
      fit.standardErrors,
      fit.logLikelihood,
      gammaGamma,
      fit.customers,
      fit.repeatBuyers,
      fit.converged,
      fit.method,
      holdout,
      settings.churn.version,
      options.trigger,
      options.actor,
      Date.now() - started,
    ],
  );
  return fitOf(rows[0]);
}

export const NO_CHURN_MODEL = 'no churn model has been fitted yet: POST /analytics/churn-model/fit (admin) fits one';
export class NoChurnModel extends Error {}

const modelOf = (fit: ChurnFit): ChurnModel => ({ fitId: fit.fitId, model: fit.model, unit: fit.unit, params: fit.params, gammaGamma: fit.gammaGamma });

export interface ScoringSummary {
  scoringId: number;
  asOf: string;
  fitId: number;
  customers: number;
  bands: Record<string, number>;
  durationMs: number;
}

/**
 * Scores every customer with a completed trip as of `asOf` with the current model; the rows replace the previous
 * scoring's. The facts are read first, on several connections at once; customers are then scored as the COPY
 * stream asks for them, so PostgreSQL stores one chunk while the next is scored.
 */
export async function scoreAndRecord(pool: Pool, settings: ChurnSettings, asOf: string): Promise<ScoringSummary> {
  const started = Date.now();
  const fit = await currentFit(pool);
  if (!fit) throw new NoChurnModel(NO_CHURN_MODEL);
  const at = Date.parse(asOf);
  const money = new BaseCurrency(settings.currency);
  const facts = await loadChurnFacts(pool, at, { churn: settings.churn, signals: true });
  return inTransaction(pool, async (client) => {
    // Scorings take turns, so the latest one's rows are the ones kept; readers see the previous rows until the commit.
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('churn_scoring', 42))`);
    const { rows } = await client.query<{ scoring_id: string }>(
      `INSERT INTO read_models.churn_scorings (as_of, fit_id, currency, customers, bands, config_version, scored_at, duration_ms)
       VALUES ($1, $2, $3, 0, '{}', $4, now(), 0) RETURNING scoring_id`,
      [new Date(at), fit.fitId, settings.currency.base, settings.churn.version],
    );
    const scoringId = Number(rows[0].scoring_id);
    await client.query('DELETE FROM read_models.churn_risk WHERE scoring_id < $1', [scoringId]);
    const bands: Record<string, number> = { low: 0, medium: 0, high: 0 };
    let customers = 0;
    const model = modelOf(fit);
    const scored = function* (): Generator<ChurnScore> {
      for (const customer of facts) {
        const score = scoreCustomer(customer, model, at, settings.churn, money);
        if (!score) continue;
        bands[score.band]++;
        customers++;
        yield score;
      }
    };
    await copyInto(
      client,
      'COPY read_models.churn_risk (scoring_id, customer_id, trips, last_trip_at, p_alive, expected_trips, expected_value, clv, risk, band, reasons) FROM STDIN',
      copyLines(scored(), (s) => [scoringId, s.customerId, s.trips, s.lastTripAt, s.pAlive, s.expectedTrips, s.expectedValue, s.clv, s.risk, s.band, JSON.stringify(s.reasons)]),
    );
    const durationMs = Date.now() - started;
    await client.query('UPDATE read_models.churn_scorings SET customers = $2, bands = $3, duration_ms = $4 WHERE scoring_id = $1', [scoringId, customers, bands, durationMs]);
    return { scoringId, asOf: new Date(at).toISOString(), fitId: fit.fitId, customers, bands, durationMs };
  });
}

/** One customer's score as of `asOf`, computed now from the facts and the current model. */
export async function customerChurnRisk(pool: Pool, settings: ChurnSettings, customerId: string, asOf: string): Promise<{ fit: ChurnFit; score: ChurnScore | null }> {
  const fit = await currentFit(pool);
  if (!fit) throw new NoChurnModel(NO_CHURN_MODEL);
  const [facts] = await loadChurnFacts(pool, Date.parse(asOf), { churn: settings.churn, signals: true, customerId });
  const score = facts ? scoreCustomer(facts, modelOf(fit), Date.parse(asOf), settings.churn, new BaseCurrency(settings.currency)) : null;
  return { fit, score };
}
