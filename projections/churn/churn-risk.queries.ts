import type { Pool } from 'pg';
import type { ChurnScore } from '../../libs/churn/src';
import { decodeCursor, encodeCursor, isoInstantSql } from '../../libs/projection-engine/src';

/* The API's read of churn_risk: the rows of the latest scoring (churn-model.ts writes them). */

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

