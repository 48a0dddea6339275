import type { Pool, PoolClient } from 'pg';
import { rankCandidates, scoreCustomer, purchasesOf, type ChoiceRule, type ChurnConfig, type ChurnModel, type ChurnScore, type ModelCandidate } from '../../libs/churn/src';
import { fitGammaGamma, fitPurchaseModel, NotIdentifiable, summarise, type GammaGammaParams, type ModelFit, type ModelParams } from '../../libs/clv/src';
import { CHURN_SCHEDULE_STREAM } from '../../libs/domain/src/engine-schedule';
import type { EventStore, RecordedEvent } from '../../libs/event-store/src';
import { copyInto, copyLines } from '../../libs/postgres/src';
import { isoInstantSql, scheduleEvent, type PartitionCheckpoints } from '../../libs/projection-engine/src';
import { BaseCurrency, type SegmentConfig } from '../../libs/segments/src';
import { loadChurnFacts } from './churn-facts.queries';
import { checkCandidates, type HoldoutCheck } from './churn-holdout';

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


export interface ChurnFit {
  fitId: number;
  cutoff: string;
  model: ChurnModel['model'];
  unit: ChurnModel['unit'];
  /** r, alpha, a, b (BG/NBD, MBG/NBD) or r, alpha, s, beta (Pareto/NBD), alpha and beta in `unit`. */
  params: ModelParams;
  standardErrors: ModelParams;
  logLikelihood: number;
  gammaGamma: GammaGammaParams | null;
  customers: number;
  repeatBuyers: number;
  converged: boolean;
  method: string;
  /** Null when the calibration part alone could not identify the model (the reason is in `holdoutError`). */
  holdout: HoldoutCheck | null;
  holdoutError?: string;
  /**
   * How the model was chosen and every candidate's holdout check (issue 19). Null on fits recorded before it was kept
   * (they used the configured model).
   */
  choice: ModelChoice | null;
  configVersion: string;
  trigger: 'schedule' | 'on-demand';
  actor: string;
  fittedAt: string;
  durationMs: number;
}

export interface ModelChoice {
  rule: ChoiceRule;
  candidates: ModelCandidate[];
}

export const FIT_COLUMNS = `fit_id, ${isoInstantSql('cutoff')} AS cutoff, model, unit, params, standard_errors, log_likelihood, gamma_gamma, customers, repeat_buyers,
  converged, method, holdout, model_choice, config_version, trigger, actor, ${isoInstantSql('fitted_at')} AS fitted_at, duration_ms`;

export const fitOf = (row: Record<string, unknown>): ChurnFit => {
  const holdout = row.holdout as (HoldoutCheck & { error?: string }) | null;
  return {
    fitId: Number(row.fit_id),
    cutoff: row.cutoff as string,
    model: row.model as ChurnFit['model'],
    unit: row.unit as ChurnFit['unit'],
    params: row.params as ModelParams,
    standardErrors: row.standard_errors as ModelParams,
    logLikelihood: row.log_likelihood as number,
    gammaGamma: row.gamma_gamma as GammaGammaParams | null,
    customers: row.customers as number,
    repeatBuyers: row.repeat_buyers as number,
    converged: row.converged as boolean,
    method: row.method as string,
    holdout: holdout?.error === undefined ? holdout : null,
    ...(holdout?.error === undefined ? {} : { holdoutError: holdout.error }),
    choice: (row.model_choice as ModelChoice | null) ?? null,
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
 * Fits the model on the trips completed by `cutoff`: the configured one, or with `by-holdout` the candidate with the
 * lowest holdout error (the next one if it cannot be fitted on all trips), recording every candidate's check
 * (churn-recording.ts stores it). Throws NotIdentifiable when the data cannot identify any of them.
 */
export async function fitModel(pool: Pool, settings: ChurnSettings, options: { cutoff: string; trigger: ChurnFit['trigger']; actor: string }): Promise<FitRecord> {
  const started = Date.now();
  const cutoff = Date.parse(options.cutoff);
  const money = new BaseCurrency(settings.currency);
  const purchases = (await loadChurnFacts(pool, cutoff, { churn: settings.churn, signals: false })).flatMap((facts) => purchasesOf(facts, cutoff, money));
  const { unit } = settings.churn.model;
  const customers = summarise(purchases, new Date(cutoff).toISOString(), unit);
  const { candidates, checks } = checkCandidates(purchases, settings.churn.model, cutoff);
  const { rule, order } = rankCandidates(settings.churn.model, candidates);
  const fit = fitFirst(order, customers);
  let gammaGamma: GammaGammaParams | null = null;
  try {
    gammaGamma = fitGammaGamma(customers).params;
  } catch (error) {
    if (!(error instanceof NotIdentifiable)) throw error;
  }
  const failed = candidates.find((c) => c.model === fit.model)?.error;
  return {
    cutoff: new Date(cutoff).toISOString(),
    model: fit.model,
    unit,
    params: fit.params,
    standardErrors: fit.standardErrors,
    logLikelihood: fit.logLikelihood,
    gammaGamma,
    customers: fit.customers,
    repeatBuyers: fit.repeatBuyers,
    converged: fit.converged,
    method: fit.method,
    holdout: checks.get(fit.model) ?? { error: failed ?? 'not checked' },
    choice: { rule, candidates },
    configVersion: settings.churn.version,
    trigger: options.trigger,
    actor: options.actor,
    fittedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  };
}

/** The first model of `order` the data identify, or the first one's NotIdentifiable when none does. */
function fitFirst(order: readonly ChurnFit['model'][], customers: Parameters<typeof fitPurchaseModel>[1]): ModelFit {
  let first: NotIdentifiable | undefined;
  for (const model of order) {
    try {
      return fitPurchaseModel(model, customers);
    } catch (error) {
      if (!(error instanceof NotIdentifiable)) throw error;
      first ??= error;
    }
  }
  throw first!;
}

/** A fit's row as recorded: live with the next id, or as its event says when a rebuild copies it. */
export type FitRecord = Omit<ChurnFit, 'fitId' | 'holdout' | 'holdoutError'> & { fitId?: number; holdout: HoldoutCheck | { error: string } | null };

export async function insertFit(client: PoolClient, fit: FitRecord): Promise<ChurnFit> {
  const { rows } = await client.query(
    `INSERT INTO read_models.churn_model_fits (fit_id, cutoff, model, unit, params, standard_errors, log_likelihood, gamma_gamma, customers, repeat_buyers,
       converged, method, holdout, config_version, trigger, actor, fitted_at, duration_ms, model_choice)
     VALUES (coalesce($1, (SELECT coalesce(max(fit_id), 0) + 1 FROM read_models.churn_model_fits)), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     RETURNING ${FIT_COLUMNS}`,
    [
      fit.fitId ?? null,
      fit.cutoff,
      fit.model,
      fit.unit,
      fit.params,
      fit.standardErrors,
      fit.logLikelihood,
      fit.gammaGamma,
      fit.customers,
      fit.repeatBuyers,
      fit.converged,
      fit.method,
      fit.holdout === null ? null : JSON.stringify(fit.holdout),
      fit.configVersion,
      fit.trigger,
      fit.actor,
      fit.fittedAt,
      fit.durationMs,
      fit.choice === null ? null : JSON.stringify(fit.choice),
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

/** What a rebuild redoes a scoring with: the recorded id, fit, settings, instants and facts checkpoint. */
export interface ScoringRecord {
  scoringId: number;
  asOf: string;
  fitId: number;
  settings: ChurnSettings;
  factsCheckpoints: PartitionCheckpoints;
  scoredAt: string;
  durationMs: number;
}

/** Redoes a recorded fit or scoring on the tables `client` works on (a rebuild's). */
export async function redoChurn(client: PoolClient, event: RecordedEvent): Promise<void> {
  if (event.type === 'ChurnModelFitted') {
    const { fit } = event.data as { fit: ChurnFit };
    const { holdoutError, ...rest } = fit;
    // Fits recorded before issue 19 carry no choice: they used the configured model.
    await insertFit(client, { ...rest, choice: fit.choice ?? null, holdout: holdoutError === undefined ? fit.holdout : { error: holdoutError } });
    return;
  }
  const scoring = event.data as unknown as ScoringRecord;
  const { rows } = await client.query(`SELECT ${FIT_COLUMNS} FROM read_models.churn_model_fits WHERE fit_id = $1`, [scoring.fitId]);
  if (!rows[0]) throw new Error(`churn scoring ${scoring.scoringId} names fit ${scoring.fitId}, which is not recorded`);
  await scoreIn(client, fitOf(rows[0]), scoring, Date.now());
}

export async function scoreIn(client: PoolClient, fit: ChurnFit, scoring: Omit<ScoringRecord, 'fitId' | 'scoringId' | 'scoredAt' | 'durationMs'> & Partial<ScoringRecord>, started: number): Promise<ScoringSummary> {
  const { settings } = scoring;
  const at = Date.parse(scoring.asOf);
  const money = new BaseCurrency(settings.currency);
  const facts = await loadChurnFacts(client, at, { churn: settings.churn, signals: true });
  const { rows } = await client.query<{ scoring_id: string }>(
    `INSERT INTO read_models.churn_scorings (scoring_id, as_of, fit_id, currency, customers, bands, config_version, scored_at, duration_ms, settings, facts_checkpoints)
     VALUES (coalesce($1, (SELECT coalesce(max(scoring_id), 0) + 1 FROM read_models.churn_scorings)), $2, $3, $4, 0, '{}', $5, $6, 0, $7, $8) RETURNING scoring_id`,
    [scoring.scoringId ?? null, new Date(at), fit.fitId, settings.currency.base, settings.churn.version, scoring.scoredAt ?? new Date(), settings, scoring.factsCheckpoints],
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
  const durationMs = scoring.durationMs ?? Date.now() - started;
  await client.query('UPDATE read_models.churn_scorings SET customers = $2, bands = $3, duration_ms = $4 WHERE scoring_id = $1', [scoringId, customers, bands, durationMs]);
  return { scoringId, asOf: new Date(at).toISOString(), fitId: fit.fitId, customers, bands, durationMs };
}

/** One customer's score as of `asOf`, computed now from the facts and the current model. */
export async function customerChurnRisk(pool: Pool, settings: ChurnSettings, customerId: string, asOf: string): Promise<{ fit: ChurnFit; score: ChurnScore | null }> {
  const fit = await currentFit(pool);
  if (!fit) throw new NoChurnModel(NO_CHURN_MODEL);
  const [facts] = await loadChurnFacts(pool, Date.parse(asOf), { churn: settings.churn, signals: true, customerId });
  const score = facts ? scoreCustomer(facts, modelOf(fit), Date.parse(asOf), settings.churn, new BaseCurrency(settings.currency)) : null;
  return { fit, score };
}

/**
 * Appends every fit and scoring the stream does not have yet, in the order they were recorded: after each one's
 * commit, and so also one a crash left between its commit and its append, which a rebuild's switch publishes too
 * (RecordedWork publish), or the rebuild would lose it. Each event carries the last fit and scoring ids the stream
 * then has.
 */
export async function publishChurn(client: PoolClient, store: EventStore): Promise<void> {
  const [last] = await store.readStream(CHURN_SCHEDULE_STREAM, { direction: 'backward', limit: 1 });
  let lastFitId = Number(last?.data.lastFitId ?? 0);
  let lastScoringId = Number(last?.data.lastScoringId ?? 0);
  const fits = (await client.query(`SELECT ${FIT_COLUMNS} FROM read_models.churn_model_fits WHERE fit_id > $1 ORDER BY fit_id`, [lastFitId])).rows.map(fitOf);
  const scorings = (
    await client.query<ScoringRecord>(
      `SELECT scoring_id::int AS "scoringId", ${isoInstantSql('as_of')} AS "asOf", fit_id::int AS "fitId", settings, facts_checkpoints AS "factsCheckpoints",
              ${isoInstantSql('scored_at')} AS "scoredAt", duration_ms AS "durationMs"
         FROM read_models.churn_scorings WHERE scoring_id > $1 ORDER BY scoring_id`,
      [lastScoringId],
    )
  ).rows;
  // A scoring before its fit's successor: in the order they were recorded, fits first at the same instant.
  const events = [...fits.map((fit) => ({ at: fit.fittedAt, fit })), ...scorings.map((scoring) => ({ at: scoring.scoredAt, scoring }))].sort((a, b) =>
    a.at === b.at ? ('fit' in a ? -1 : 1) : a.at < b.at ? -1 : 1,
  );
  for (const item of events) {
    if ('fit' in item) lastFitId = item.fit.fitId;
    else lastScoringId = item.scoring.scoringId;
    const [type, key, data] =
      'fit' in item ? ['ChurnModelFitted', `fit:${item.fit.fitId}`, { fit: item.fit }] : ['ChurnRiskScored', `scoring:${item.scoring.scoringId}`, item.scoring];
    await store.append(CHURN_SCHEDULE_STREAM, [scheduleEvent(CHURN_SCHEDULE_STREAM, type, key, { ...data, lastFitId, lastScoringId }, item.at)]);
  }
}
