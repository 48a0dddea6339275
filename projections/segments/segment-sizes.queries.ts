import type { Pool } from 'pg';
import { isoInstantSql } from '../../libs/projection-engine/src';

export interface SegmentSizes {
  family: string;
  /** The evaluations drawn, oldest first; each series has one size per evaluation. */
  evaluations: { evaluationId: number; asOf: string }[];
  series: { segment: string; sizes: number[] }[];
  /** The change feed's last position: GET /segments/changes?after= a little less shows the latest changes. */
  lastChangePosition: number;
}

/**
 * The size of each segment of a family after each of the last `evaluations` evaluations, from the change feed: a
 * segment's size is its entries minus its exits up to and including that evaluation. Changes of customers who were
 * forgotten since are gone from the feed, so past sizes leave them out too.
 */
export async function segmentSizes(pool: Pool, family: string, evaluations: number): Promise<SegmentSizes> {
  const [drawn, sizes, last] = await Promise.all([
    pool.query(
      `SELECT evaluation_id, ${isoInstantSql('as_of')} AS as_of FROM
         (SELECT evaluation_id, as_of FROM read_models.segment_evaluations ORDER BY evaluation_id DESC LIMIT $1) e ORDER BY evaluation_id`,
      [evaluations],
    ),
    pool.query(
      `WITH steps AS (
         SELECT segment, evaluation_id, sum(CASE change WHEN 'entered' THEN 1 ELSE -1 END) AS step
           FROM read_models.segment_changes WHERE starts_with(segment, $1 || ':') GROUP BY segment, evaluation_id)
       SELECT segment, evaluation_id, sum(step) OVER (PARTITION BY segment ORDER BY evaluation_id) AS size FROM steps`,
      [family],
    ),
    pool.query(`SELECT coalesce(max(position), 0) AS position FROM read_models.segment_changes`),
  ]);
  const shown = drawn.rows.map((row) => ({ evaluationId: Number(row.evaluation_id), asOf: row.as_of as string }));
  const steps = new Map<string, { evaluationId: number; size: number }[]>();
  for (const row of sizes.rows) steps.set(row.segment, [...(steps.get(row.segment) ?? []), { evaluationId: Number(row.evaluation_id), size: Number(row.size) }]);
  const series = [...steps.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([segment, known]) => ({
      segment,
      // The size after an evaluation is the running total at the latest evaluation that changed the segment by then.
      sizes: shown.map(({ evaluationId }) => known.filter((step) => step.evaluationId <= evaluationId).at(-1)?.size ?? 0),
    }));
  return { family, evaluations: shown, series, lastChangePosition: Number(last.rows[0].position) };
}
