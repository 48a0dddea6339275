import { Pool, type PoolClient } from 'pg';
import type { ChurnConfig, ChurnFacts } from '../../libs/churn/src';
import { isoInstantSql } from '../../libs/projection-engine/src';

/**
 * Every customer's churn facts that can matter as of `asOf`, on several connections at once: trips returned by then,
 * cancellations in the signal's window, complaints open then, the last survey answer, and contacts since the last
 * return. Scores read nothing else, so they are the same as from all facts; reading less keeps scoring fast. Without
 * `signals`, only the trips (what a fit needs).
 */
export async function loadChurnFacts(db: Pool | PoolClient, asOf: number, options: { churn: ChurnConfig; signals: boolean; customerId?: string }): Promise<ChurnFacts[]> {
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
  // On a pool the queries run at once on several connections; on one client (a scoring's transaction) they take turns.
  let turn: Promise<unknown> = Promise.resolve();
  const query = <T extends unknown[]>(text: string, values: unknown[]) => {
    const run = () => db.query<T>({ text, values: [...values, ...oneCustomer], rowMode: 'array' });
    if (db instanceof Pool) return run();
    const result = turn.then(run);
    turn = result.catch(() => undefined);
    return result;
  };
  const none = Promise.resolve({ rows: [] });
  const [bookings, complaints, surveys, contacts] = await Promise.all([
    query<[string, string, string, string, string | null, string | null]>(
      `SELECT customer_id, booking_id, amount_value::text, currency, ${isoInstantSql('returned_at')}, ${isoInstantSql('cancelled_at')} FROM read_models.churn_facts_bookings
        WHERE (returned_at <= $1 OR (cancelled_at <= $1 AND cancelled_at > $1 - make_interval(days => $2::int))) ${one(3)}`,
      [at, options.churn.cancellationWithinDays],
    ),
    options.signals
      ? query<[string, string, string, ChurnFacts['complaints'][number]['severity'], string | null]>(
          `SELECT customer_id, complaint_id, ${isoInstantSql('filed_at')}, severity, ${isoInstantSql('resolved_at')} FROM read_models.churn_facts_complaints
            WHERE filed_at <= $1 AND (resolved_at IS NULL OR resolved_at > $1) ${one(2)} ORDER BY customer_id, filed_at, complaint_id`,
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
