import type { Pool, PoolClient } from 'pg';
import { inClientTransaction, withClient } from '../../libs/postgres/src';
import { isoInstantSql } from '../../libs/projection-engine/src';

export interface ChurnSummary {
  scoring: { scoringId: number; asOf: string; fitId: number; currency: string } | null;
  bands: { band: 'low' | 'medium' | 'high'; customers: number; clv: number }[];
  /** CLV in major units of `currency`: equal-width buckets up to the 99th percentile; the last also holds everything above it. */
  clvHistogram: { from: number; to: number; customers: number }[];
}

const BANDS = ['high', 'medium', 'low'] as const;

async function summary(client: PoolClient, buckets: number): Promise<ChurnSummary> {
  const latest = await client.query(
    `SELECT scoring_id, ${isoInstantSql('as_of')} AS as_of, fit_id, currency FROM read_models.churn_scorings ORDER BY scoring_id DESC LIMIT 1`,
  );
  const scoring = latest.rows[0];
  if (!scoring) return { scoring: null, bands: [], clvHistogram: [] };
  const bands = await client.query<{ band: string; customers: string; clv: number }>(
    'SELECT band, count(*) AS customers, sum(clv)::float8 AS clv FROM read_models.churn_risk WHERE scoring_id = $1 GROUP BY band',
    [scoring.scoring_id],
  );
  const top = await client.query<{ top: number | null }>(
    'SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY clv::float8) AS top FROM read_models.churn_risk WHERE scoring_id = $1',
    [scoring.scoring_id],
  );
  const width = Math.max(Number(top.rows[0].top ?? 0), 0.01) / buckets;
  // Bucket 1 to `buckets`; width_bucket gives buckets + 1 above the top, folded into the last.
  const spread = await client.query<{ bucket: number; customers: string }>(
    `SELECT least(width_bucket(greatest(clv::float8, 0), 0, $2::float8, $3), $3) AS bucket, count(*) AS customers
       FROM read_models.churn_risk WHERE scoring_id = $1 GROUP BY 1`,
    [scoring.scoring_id, width * buckets, buckets],
  );
  const byBand = new Map(bands.rows.map((row) => [row.band, row]));
  const counts = new Map(spread.rows.map((row) => [Number(row.bucket), Number(row.customers)]));
  return {
    scoring: { scoringId: Number(scoring.scoring_id), asOf: scoring.as_of, fitId: Number(scoring.fit_id), currency: scoring.currency },
    bands: BANDS.map((band) => ({ band, customers: Number(byBand.get(band)?.customers ?? 0), clv: Math.round(Number(byBand.get(band)?.clv ?? 0) * 100) / 100 })),
    clvHistogram: spread.rows.length
      ? Array.from({ length: buckets }, (_, i) => ({
          from: Math.round(i * width * 100) / 100,
          to: Math.round((i + 1) * width * 100) / 100,
          customers: counts.get(i + 1) ?? 0,
        }))
      : [],
  };
}

/** The latest scoring in numbers: customers and CLV per risk band, and the spread of CLV; one snapshot, so a scoring committing meanwhile never mixes in. */
export const churnSummary = (pool: Pool, buckets = 20): Promise<ChurnSummary> =>
  withClient(pool, (client) => inClientTransaction(client, (tx) => summary(tx, buckets), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
