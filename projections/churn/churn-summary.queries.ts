import type { Pool } from 'pg';
import { isoInstantSql } from '../../libs/projection-engine/src';

export interface ChurnSummary {
  scoring: { scoringId: number; asOf: string; fitId: number; currency: string } | null;
  bands: { band: 'low' | 'medium' | 'high'; customers: number; clv: number }[];
  /** CLV in major units of `currency`: equal-width buckets up to the 99th percentile; the last also holds everything above it. */
  clvHistogram: { from: number; to: number; customers: number }[];
}

const BANDS = ['high', 'medium', 'low'] as const;

/** The latest scoring in numbers: customers and CLV per risk band, and the spread of CLV. */
export async function churnSummary(pool: Pool, buckets = 20): Promise<ChurnSummary> {
  // One statement, so a scoring committing meanwhile never mixes two scorings in one answer.
  const { rows } = await pool.query(
    `WITH latest AS (SELECT scoring_id, ${isoInstantSql('as_of')} AS as_of, fit_id, currency FROM read_models.churn_scorings ORDER BY scoring_id DESC LIMIT 1),
          scored AS (SELECT r.band, r.clv::float8 AS clv FROM read_models.churn_risk r JOIN latest l ON r.scoring_id = l.scoring_id),
          top AS (SELECT greatest(percentile_cont(0.99) WITHIN GROUP (ORDER BY clv), 0.01) AS top FROM scored)
     SELECT 'scoring' AS kind, l.scoring_id::text AS key, l.as_of AS label, l.fit_id AS n, 0::float8 AS clv, l.currency FROM latest l
     UNION ALL SELECT 'band', band, NULL, count(*), sum(clv), NULL FROM scored GROUP BY band
     UNION ALL SELECT 'bucket', least(width_bucket(greatest(clv, 0), 0, (SELECT top FROM top), $1), $1)::text, NULL, count(*), (SELECT top FROM top), NULL
       FROM scored GROUP BY 2`,
    [buckets],
  );
  const scoring = rows.find((row) => row.kind === 'scoring');
  if (!scoring) return { scoring: null, bands: [], clvHistogram: [] };
  const bandRows = new Map(rows.filter((row) => row.kind === 'band').map((row) => [row.key as string, row]));
  const bucketRows = rows.filter((row) => row.kind === 'bucket');
  const top = Number(bucketRows[0]?.clv ?? 0);
  const width = top / buckets;
  const counts = new Map(bucketRows.map((row) => [Number(row.key), Number(row.n)]));
  return {
    scoring: { scoringId: Number(scoring.key), asOf: scoring.label as string, fitId: Number(scoring.n), currency: scoring.currency as string },
    bands: BANDS.map((band) => ({ band, customers: Number(bandRows.get(band)?.n ?? 0), clv: Math.round(Number(bandRows.get(band)?.clv ?? 0) * 100) / 100 })),
    clvHistogram: bucketRows.length
      ? Array.from({ length: buckets }, (_, i) => ({
          from: Math.round(i * width * 100) / 100,
          to: Math.round((i + 1) * width * 100) / 100,
          customers: counts.get(i + 1) ?? 0,
        }))
      : [],
  };
}
