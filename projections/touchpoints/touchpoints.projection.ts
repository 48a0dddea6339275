import type { PoolClient } from 'pg';
import { CUSTOMER_STREAM_PREFIX, type DestinationRiskAlertIssued, type RiskAlert } from '../../libs/domain/src';
import { type RecordedEvent } from '../../libs/event-store/src';
import { extname, join } from 'node:path';
import { copyInto } from '../../libs/postgres/src';
import { OffThread, type Projection } from '../../libs/projection-engine/src';
import { foldTouchpointFacts, TOUCHPOINT_FACT_EVENTS, type CustomerTouchpointFacts, type TouchpointConfig, type TouchpointFactData, type TouchpointFacts } from '../../libs/touchpoints/src';
import { riskAlertsFor } from './touchpoints.queries';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints.migrations';
import { TOUCHPOINT_COPY, type CustomerToSchedule } from './touchpoint-rows';

/** A stored customer event of a type the schedule reads: the envelope, with the data its type declares. */
type CustomerFactEvent = RecordedEvent & TouchpointFactData;
/** What `apply` is given: the projector passes only the types in `handles`, read in their current schema. */
type HandledEvent = CustomerFactEvent | (RecordedEvent & DestinationRiskAlertIssued);
type Facts = CustomerTouchpointFacts;

/** The alerts for the countries the customers book, by customer. */
async function alertsFor(client: PoolClient, customers: Facts[]): Promise<Map<string, TouchpointFacts['riskAlerts']>> {
  const countriesOf = (c: Facts): string[] => [...new Set(c.bookings.map((b) => b.destination.country))];
  const byCountry = new Map<string, TouchpointFacts['riskAlerts']>();
  for (const alert of await riskAlertsFor(client, [...new Set(customers.flatMap(countriesOf))])) byCountry.set(alert.country, [...(byCountry.get(alert.country) ?? []), alert]);
  return new Map(customers.map((c) => [c.customerId, countriesOf(c).flatMap((country) => byCountry.get(country) ?? [])]));
}

/**
 * The touchpoint schedule (issue 6): facts per customer folded from the events, and the customer's rows of
 * `touchpoints` recomputed from them (libs/touchpoints) whenever they change, or when a risk alert concerns one of
 * their bookings. The rows follow from the events and the config alone: a rebuild gives the same ids, instants and
 * statuses. After changing the config, rebuild it (`npm run projections -- rebuild touchpoints`).
 */
export function touchpointsProjection(config: TouchpointConfig): Projection {
  // A customer with thousands of bookings takes most of a second to schedule: off the main thread, where it would
  // hold every HTTP answer of the single-process engine (issue 15).
  const schedules = new OffThread<[CustomerToSchedule[], TouchpointConfig], string>(join(__dirname, `touchpoint-rows${extname(__filename)}`), 'touchpointRowsCopy');
  return {
    name: 'touchpoints',
    version: 1,
    handles: [...TOUCHPOINT_FACT_EVENTS, 'DestinationRiskAlertIssued'],
    migrations: TOUCHPOINT_MIGRATIONS,
    tables: ['read_models.touchpoints', 'read_models.touchpoint_facts', 'read_models.touchpoint_risk_alerts'],
    async apply(client, events) {
      const customerIds = [...new Set(events.filter((e) => e.streamId.startsWith(CUSTOMER_STREAM_PREFIX)).map((e) => e.streamId.slice(CUSTOMER_STREAM_PREFIX.length)))];
      const facts = new Map<string, Facts>();
      const stored = await client.query<{ customer_id: string; facts: Facts }>('SELECT customer_id, facts FROM read_models.touchpoint_facts WHERE customer_id = ANY($1)', [customerIds]);
      for (const row of stored.rows) facts.set(row.customer_id, row.facts);
      const alerts: (RiskAlert & { issuedAt: string })[] = [];
      for (const event of events as HandledEvent[]) {
        // Risk alerts have their own streams (risk-alert-<id>), which hold nothing else.
        if (event.type === 'DestinationRiskAlertIssued') {
          alerts.push({ ...event.data, issuedAt: event.occurredAt });
          continue;
        }
        const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
        const next = foldTouchpointFacts(facts.get(customerId), customerId, { ...event, actor: event.metadata.actor.id });
        if (next) facts.set(customerId, next);
      }
      // The changed customers' facts as JSON: stored, and handed to the scheduling thread.
      const json = new Map(customerIds.flatMap((id) => (facts.has(id) ? [[id, JSON.stringify(facts.get(id))] as const] : [])));
      if (json.size) {
        await client.query(
          `INSERT INTO read_models.touchpoint_facts (customer_id, facts) SELECT * FROM unnest($1::text[], $2::jsonb[])
           ON CONFLICT (customer_id) DO UPDATE SET facts = excluded.facts`,
          [[...json.keys()], [...json.values()]],
        );
      }
      for (const alert of alerts) {
        await client.query(
          `INSERT INTO read_models.touchpoint_risk_alerts (alert_id, issued_at, country, city, from_date, to_date, severity, message)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [alert.alertId, alert.issuedAt, alert.country, alert.city ?? null, alert.from, alert.to, alert.severity, alert.message],
        );
        // The customers with a booking to that country whose trip, as booked or as amended, may overlap the period:
        // the schedule decides exactly. Trips long over or far ahead are not recomputed.
        const concerned = await client.query<{ customer_id: string; facts: Facts }>(
          `SELECT customer_id, facts FROM read_models.touchpoint_facts
            WHERE jsonb_path_exists(facts, '$.bookings[*] ? (@.destination.country == $c && ((@.departureDate <= $to && @.returnDate >= $from) || exists(@.amendments[*])))',
                                    jsonb_build_object('c', $1::text, 'from', $2::text, 'to', $3::text))`,
          [alert.country, alert.from, alert.to],
        );
        for (const row of concerned.rows) if (!facts.has(row.customer_id)) facts.set(row.customer_id, row.facts);
      }
      const customers = [...facts.values()];
      if (!customers.length) return;
      const alertsByCustomer = await alertsFor(client, customers);
      const text = await schedules.run(
        customers.map((f) => ({ facts: json.get(f.customerId) ?? JSON.stringify(f), riskAlerts: alertsByCustomer.get(f.customerId) ?? [] })),
        config,
      );
      await client.query('DELETE FROM read_models.touchpoints WHERE customer_id = ANY($1)', [customers.map((f) => f.customerId)]);
      await copyInto(client, TOUCHPOINT_COPY, [text]);
    },
  };
}
