import type { Pool, PoolClient } from 'pg';
import { scoreCustomer, purchasesOf, type ChurnConfig, type ChurnFacts, type ChurnModel, type ChurnScore } from '../../libs/churn/src';
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
import { decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';
import { BaseCurrency, monthsBefore, type SegmentConfig } from '../../libs/segments/src';

/** Money settings come from the segments config (one base currency and rate table for the whole engine). */
export interface ChurnSettings {
  churn: ChurnConfig;
  currency: SegmentConfig['currency'];
}

const DAY_MS = 86_400_000;

/**
 * Every customer's churn facts that can matter as of `asOf`, on several connections at once: trips returned by then,
 * cancellations in the signal's window, complaints open then, the last survey answer, and contacts since the last
 * return. Scores read nothing else, so they are the same as from all facts; reading less keeps scoring fast. Without
 * `signals`, only the trips (what a fit needs).
 */
async function loadFacts(db: Pool, asOf: number, options: { settings: ChurnSettings; signals: boolean; customerId?: string }): Promise<ChurnFacts[]> {
  const at = new Date(asOf);
  const oneCustomer = options.customerId === undefined ? [] : [options.customerId];
  /** Restricts to the one customer, as the last parameter; `column` names it where a join makes it ambiguous. */
  const one = (position: number, column = 'customer_id'): string => (options.customerId === undefined ? '' : `AND ${column} = $${position}`);
  const byId = new Map<string, ChurnFacts>();
  const of = (id: string): ChurnFacts => {
    let facts = byId.get(id);
    if (!facts) byId.set(id, (facts = { customerId: id, bookings: [], complaints: [], surveys: [], contacts: [] }));
    return facts;
  };
  const query = <T extends unknown[]>(text: string, values: unknown[]) => db.query<T>({ text, values: [...values, ...oneCustomer], rowMode: 'array' });
  const none = Promise.resolve({ rows: [] });
  const [bookings, complaints, surveys, contacts] = await Promise.all([
    query<[string, string, string, string, string | null, string | null]>(
      `SELECT customer_id, booking_id, amount_value::text, currency, ${isoInstantSql('returned_at')}, ${isoInstantSql('cancelled_at')} FROM read_models.churn_facts_bookings
        WHERE (returned_at <= $1 OR (cancelled_at <= $1 AND cancelled_at > $1 - make_interval(days => $2::int))) ${one(3)}`,
      [at, options.settings.churn.cancellationWithinDays],
    ),
    options.signals
      ? query<[string, string, string, ChurnFacts['complaints'][number]['severity'], string | null]>(
          `SELECT customer_id, complaint_id, ${isoInstantSql('filed_at')}, severity, ${isoInstantSql('resolved_at')} FROM read_models.churn_facts_complaints
            WHERE filed_at <= $1 AND (resolved_at IS NULL OR resolved_at > $1) ${one(2)}`,
          [at],
        )
      : none,
    options.signals
      ? query<[string, string, number]>(
          `SELECT DISTINCT ON (customer_id) customer_id, ${isoInstantSql('answered_at')}, nps FROM read_models.churn_facts_surveys
            WHERE answered_at <= $1 ${one(2)} ORDER BY customer_id, answered_at DESC, survey_id DESC`,
          [at],
        )
      : none,
    options.signals
      ? query<[string, string]>(
          `SELECT c.customer_id, ${isoInstantSql('c.at')} FROM read_models.churn_facts_contacts c
             JOIN (SELECT customer_id, max(returned_at) AS last FROM read_models.churn_facts_bookings WHERE returned_at <= $1 GROUP BY customer_id) r USING (customer_id)
            WHERE c.at >= r.last AND c.at <= $1 ${one(2, 'c.customer_id')}`,
          [at],
        )
      : none,
  ]);
  for (const [id, bookingId, amount, currency, returnedAt, cancelledAt] of bookings.rows) {
    of(id).bookings.push({ bookingId, amountValue: Number(amount), currency, returnedAt: returnedAt ?? undefined, cancelledAt: cancelledAt ?? undefined });
  }
  for (const [id, complaintId, filedAt, severity, resolvedAt] of complaints.rows as [string, string, string, ChurnFacts['complaints'][number]['severity'], string | null][]) {
    of(id).complaints.push({ complaintId, filedAt, severity, resolvedAt: resolvedAt ?? undefined });
  }
  for (const [id, answeredAt, nps] of surveys.rows as [string, string, number][]) of(id).surveys.push({ answeredAt, nps });
  for (const [id, at] of contacts.rows as [string, string][]) of(id).contacts.push(at);
  return [...byId.values()].sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0));
}

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
  const purchases = (await loadFacts(pool, cutoff, { settings, signals: false })).flatMap((facts) => purchasesOf(facts, cutoff, money));
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
  const facts = await loadFacts(pool, at, { settings, signals: true });
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
  const [facts] = await loadFacts(pool, Date.parse(asOf), { settings, signals: true, customerId });
  const score = facts ? scoreCustomer(facts, modelOf(fit), Date.parse(asOf), settings.churn, new BaseCurrency(settings.currency)) : null;
  return { fit, score };
}

export const RISK_SORTS = ['risk', 'clv'] as const;
export interface ChurnRiskQuery {
  band?: 'low' | 'medium' | 'high';
  minClv?: number;
  sort: (typeof RISK_SORTS)[number];
  descending: boolean;
  limit: number;
  cursor?: string;
}

export interface ChurnRiskPage {
  scoring: { scoringId: number; asOf: string; fitId: number; currency: string } | null;
  items: (Omit<ChurnScore, 'reasons'> & { reasons: ChurnScore['reasons'] })[];
  nextCursor: string | null;
}

/** A page of the latest scoring, keyset-paged on (sort value, customer id) in the same direction. */
export async function churnRiskPage(pool: Pool, query: ChurnRiskQuery): Promise<ChurnRiskPage> {
  const after = query.cursor ? decodeCursor(query.cursor, 'number') : null;
  const direction = query.descending ? 'DESC' : 'ASC';
  const column = `r.${query.sort}`;
  // One statement: the latest scoring and its rows on one snapshot, so a scoring committing meanwhile (which deletes
  // the rows before it) never yields an empty or mixed page. ORDER BY and the keyset use the table's columns in one
  // direction, so the (scoring_id, sort column, customer_id) index serves both orders.
  const { rows } = await pool.query(
    `WITH latest AS (SELECT scoring_id, ${isoInstantSql('as_of')} AS as_of, fit_id, currency FROM read_models.churn_scorings ORDER BY scoring_id DESC LIMIT 1)
     SELECT l.scoring_id, l.as_of, l.fit_id, l.currency, r.customer_id, r.trips, ${isoInstantSql('r.last_trip_at')} AS last_trip_at, r.p_alive, r.expected_trips,
            r.expected_value::float8 AS expected_value, r.clv::float8 AS clv_value, r.risk, r.band, r.reasons
       FROM latest l LEFT JOIN read_models.churn_risk r ON r.scoring_id = l.scoring_id
            AND ($1::text IS NULL OR r.band = $1) AND ($2::numeric IS NULL OR r.clv >= $2)
            AND ($3::text IS NULL OR (${column}, r.customer_id) ${query.descending ? '<' : '>'} ($4::${query.sort === 'risk' ? 'int' : 'numeric'}, $3))
      ORDER BY ${column} ${direction}, r.customer_id ${direction}
      LIMIT $5`,
    [query.band ?? null, query.minClv ?? null, after?.[1] ?? null, after?.[0] ?? null, query.limit + 1],
  );
  if (!rows[0]) return { scoring: null, items: [], nextCursor: null };
  const scoring = { scoringId: Number(rows[0].scoring_id), asOf: rows[0].as_of as string, fitId: Number(rows[0].fit_id), currency: rows[0].currency as string };
  if (rows[0].customer_id === null) return { scoring, items: [], nextCursor: null };
  const items = rows.slice(0, query.limit).map((row) => ({
    customerId: row.customer_id as string,
    trips: row.trips as number,
    lastTripAt: row.last_trip_at as string,
    pAlive: row.p_alive as number,
    expectedTrips: row.expected_trips as number,
    expectedValue: row.expected_value as number,
    clv: row.clv_value as number,
    risk: row.risk as number,
    band: row.band as ChurnScore['band'],
    reasons: row.reasons as ChurnScore['reasons'],
  }));
  const last = items[items.length - 1];
  return { scoring, items, nextCursor: rows.length > query.limit ? encodeCursor(query.sort === 'risk' ? last.risk : last.clv, last.customerId) : null };
}

