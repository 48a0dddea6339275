import type { Pool, PoolClient } from 'pg';
import type { CampaignAudience } from '../../libs/domain/src';

/*
 * A campaign's audience as of an instant, from the read models the engine already keeps: segment membership (the
 * latest evaluation, read_models.segment_membership_history), bookings (read_models.segment_facts_bookings) and the
 * customer's consent and erasure (read_models.customer_overview). One statement, set-based: at 100,000 customers it
 * is a few scans, not a lookup per customer.
 */
const AUDIENCE = `
WITH trip_matches AS (
  SELECT b.customer_id
    FROM read_models.segment_facts_bookings b
    LEFT JOIN LATERAL (
      -- The amount as it stood at the instant: the last amendment by then, else as booked.
      SELECT (c->>'value')::bigint AS value, c->>'currency' AS currency
        FROM jsonb_array_elements(b.amount_changes) WITH ORDINALITY AS x(c, n)
       WHERE (c->>'at')::timestamptz <= $1
       ORDER BY n DESC LIMIT 1
    ) amended ON $9::bigint IS NOT NULL
   WHERE $13
     AND b.booked_at <= $1
     AND (b.cancelled_at IS NULL OR b.cancelled_at > $1)
     AND ($4::text[] IS NULL OR b.product_type = ANY($4))
     AND ($5::text[] IS NULL OR b.destination_country = ANY($5))
     AND ($6::text[] IS NULL OR b.channel = ANY($6))
     AND ($7::int IS NULL OR b.booked_at > $1::timestamptz - make_interval(months => $7::int))
   GROUP BY b.customer_id
  HAVING count(*) >= $8
     AND ($9::bigint IS NULL
          OR coalesce(sum(coalesce(amended.value, b.amount_value)) FILTER (WHERE coalesce(amended.currency, b.currency) = $10), 0) >= $9)
),
segment_matches AS (
  SELECT customer_id
    FROM read_models.segment_membership_history
   WHERE $2::text[] IS NOT NULL AND segment = ANY($2) AND left_at IS NULL
   GROUP BY customer_id
  HAVING count(DISTINCT segment) >= CASE WHEN $3 = 'all' THEN cardinality($2) ELSE 1 END
)
SELECT o.customer_id
  FROM read_models.customer_overview o
 WHERE NOT o.erased
   AND o.registered_at <= $1
   AND (NOT $11 OR o.marketing_consent)
   AND (NOT $13 OR o.customer_id IN (SELECT customer_id FROM trip_matches))
   AND ($2::text[] IS NULL OR o.customer_id IN (SELECT customer_id FROM segment_matches))
   AND ($12::text IS NULL OR NOT EXISTS (
         SELECT 1 FROM read_models.campaign_assignments a WHERE a.campaign_id = $12 AND a.customer_id = o.customer_id))
 ORDER BY o.customer_id`;

export interface AudienceOptions {
  /** ISO 8601 instant: bookings made and not cancelled by then, and in the months before it. */
  asOf: string;
  /** Leaves out the customers this campaign's read model already shows assigned. */
  notAssignedTo?: string;
}

/**
 * The ids of the customers in `audience` as of the instant, in id order: in every segment named (`all`) or in one
 * (`any`), with at least `minTrips` (default 1) bookings that pass every trip filter and at least `minSpend` on them,
 * with marketing consent when it is required, never a forgotten customer. Segment membership is the current one
 * (the latest evaluation); consent is the current one too: an audience is asked for now, not for the past.
 */
export async function audienceMembers(db: Pool | PoolClient, audience: CampaignAudience, options: AudienceOptions): Promise<string[]> {
  const { segments, trips } = audience;
  const segmentKeys = segments?.keys.length ? segments.keys : null;
  const { rows } = await db.query<{ customer_id: string }>(AUDIENCE, [
    options.asOf,
    segmentKeys,
    segments?.match ?? 'any',
    trips?.productTypes ?? null,
    trips?.destinations ?? null,
    trips?.channels ?? null,
    trips?.withinMonths ?? null,
    trips?.minTrips ?? 1,
    trips?.minSpend?.value ?? null,
    trips?.minSpend?.currency ?? null,
    audience.requireMarketingConsent,
    options.notAssignedTo ?? null,
    trips !== undefined,
  ]);
  return rows.map((row) => row.customer_id);
}
