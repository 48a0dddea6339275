import type { PoolClient } from 'pg';
import { CUSTOMER_STREAM_PREFIX, type DestinationRiskAlertIssued, type RiskAlert } from '../../libs/domain/src';
import { type RecordedEvent } from '../../libs/event-store/src';
import { extname, join } from 'node:path';
import { copyInto, copyLines } from '../../libs/postgres/src';
import { OffThread, type Projection } from '../../libs/projection-engine/src';
import { foldTouchpointFacts, rowsAddedByAssignment, streamEventOf, TOUCHPOINT_FACT_EVENTS, type CustomerTouchpointFacts, type Touchpoint, type TouchpointConfig, type TouchpointFactData, type TouchpointFactEvent, type TouchpointFacts } from '../../libs/touchpoints/src';
import { latestMarketingDue, riskAlertsFor } from './touchpoints.queries';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints.migrations';
import { alertsByCountry, alertsOfCustomer, newRowsCopy, TOUCHPOINT_COPY, type CustomerToSchedule, type RowChanges } from './touchpoint-rows';

/** A stored customer event of a type the schedule reads: the envelope, with the data its type declares. */
type CustomerFactEvent = RecordedEvent & TouchpointFactData;
/** What `apply` is given: the projector passes only the types in `handles`, read in their current schema. */
type HandledEvent = CustomerFactEvent | (RecordedEvent & DestinationRiskAlertIssued);
type Facts = CustomerTouchpointFacts;

/** The alerts for the countries the customers book, by customer. */
async function alertsFor(client: PoolClient, customers: Facts[]): Promise<Map<string, TouchpointFacts['riskAlerts']>> {
  const byCountry = alertsByCountry(await riskAlertsFor(client, [...new Set(customers.flatMap((c) => c.bookings.map((b) => b.destination.country)))]));
  return new Map(customers.map((c) => [c.customerId, alertsOfCustomer(c, byCountry)]));
}

/** Customers a bulk build schedules per transaction, in each of its two threads. */
const BULK_PAGE = 1_000;

/**
 * Customers' stored facts, as the text they were written in, and their campaign arms as the JSON array text that
 * JSON.stringify gives (each arm is stored as written); followed by a WHERE on customer_id.
 */
const STORED_FACTS = `SELECT f.customer_id, f.facts::text AS facts,
    '[' || coalesce((SELECT string_agg(a.assignment::text, ',' ORDER BY a.ordinal) FROM read_models.touchpoint_campaign_arms a WHERE a.customer_id = f.customer_id), '') || ']' AS campaigns
  FROM read_models.touchpoint_facts f`;

/** New customers' facts, as COPY text. */
const FACTS_COPY = 'COPY read_models.touchpoint_facts (customer_id, facts) FROM STDIN';
/** Campaign arms new to the table, as COPY text. */
const ARMS_COPY = 'COPY read_models.touchpoint_campaign_arms (customer_id, ordinal, assignment) FROM STDIN';

/**
 * A customer's whole facts as JSON text, from where they are stored: the document (an object with at least the
 * customer's id) and the array of their campaign assignments, kept apart so that an assignment is added without the
 * document (touchpoints migrations 4 and 6). `campaigns` is absent from facts without any, as the fold leaves it.
 */
const wholeFacts = (row: { facts: string; campaigns: string }): string =>
  row.campaigns === '[]' ? row.facts : `${row.facts.slice(0, row.facts.lastIndexOf('}'))},"campaigns":${row.campaigns}}`;

/**
 * The customers whose only event in the batch is a campaign assignment (a launch's or an audience entrant's), with
 * facts stored already: their campaign.
 */
function assignmentOnly(events: HandledEvent[], before: Map<string, string>): Map<string, string> {
  const count = new Map<string, number>();
  const campaignOf = new Map<string, string>();
  for (const event of events) {
    if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) continue;
    const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
    count.set(customerId, (count.get(customerId) ?? 0) + 1);
    if (event.type === 'CampaignArmAssigned') campaignOf.set(customerId, event.data.campaignId);
  }
  return new Map([...campaignOf].filter(([id]) => count.get(id) === 1 && before.has(id)));
}

/**
 * Those customers' campaigns with the latest due instant of their open and done marketing rows, which is what
 * rowsAddedByAssignment needs to add the send without the whole schedule.
 */
async function withLatestDue(client: PoolClient, campaignOf: Map<string, string>): Promise<Map<string, { campaignId: string; latestMarketingDueAt: string | undefined }>> {
  if (!campaignOf.size) return new Map();
  const latestDue = await latestMarketingDue(client, [...campaignOf.keys()]);
  return new Map([...campaignOf].map(([id, campaignId]) => [id, { campaignId, latestMarketingDueAt: latestDue.get(id) }]));
}

/**
 * The touchpoint schedule (issue 6): facts per customer folded from the events, and the customer's schedule
 * recomputed from them (libs/touchpoints) whenever they change, or when a risk alert concerns one of their bookings;
 * only the rows that differ from the schedule before are written (touchpoint-rows.ts). The rows follow from the
 * events and the config alone: a rebuild gives the same ids, instants and statuses. After changing the config,
 * rebuild it (`npm run projections -- rebuild touchpoints`): until then a customer's rows move to the new rules only
 * where their facts change.
 *
 * A blue/green build goes through the log in bulk: it folds and stores the facts only, then computes each customer's
 * schedule once, from their last facts, in two threads, into a touchpoints table whose indexes are made afterwards
 * (issue 16: the schedule recomputed batch after batch, and kept in six indexes row by row, held a rebuild to 5,000
 * events/s).
 */
export function touchpointsProjection(config: TouchpointConfig): Projection {
  // A customer with thousands of bookings takes most of a second to schedule: off the main thread, where it would
  // hold every HTTP answer of the single-process engine (issue 15).
  const rowsModule = join(__dirname, `touchpoint-rows${extname(__filename)}`);
  const schedules = new OffThread<[CustomerToSchedule[], TouchpointConfig], RowChanges>(rowsModule, 'touchpointRowChanges');

  /** A batch into the facts, and with `scheduling` into the customers' rows too; without, a bulk build's finish makes the rows. */
  async function applyBatch(client: PoolClient, events: RecordedEvent[], scheduling: boolean): Promise<void> {
    const customerIds = [...new Set(events.filter((e) => e.streamId.startsWith(CUSTOMER_STREAM_PREFIX)).map((e) => e.streamId.slice(CUSTOMER_STREAM_PREFIX.length)))];
    const facts = new Map<string, Facts>();
    // The stored facts as text: what the customers' rows were computed from.
    const before = new Map<string, string>();
    // How many campaign assignments each customer's stored facts hold: any after them are new.
    const storedCampaigns = new Map<string, number>();
    const keep = (rows: { customer_id: string; facts: string; campaigns: string }[]): void => {
      for (const row of rows) {
        if (facts.has(row.customer_id)) continue;
        const stored = wholeFacts(row);
        const parsed = JSON.parse(stored) as Facts;
        before.set(row.customer_id, stored);
        storedCampaigns.set(row.customer_id, parsed.campaigns?.length ?? 0);
        facts.set(row.customer_id, parsed);
      }
    };
    // A risk alert recomputes the schedules of customers in every partition, which other projector processes apply:
    // a batch with an alert goes alone (exclusive), the others side by side (shared), so each sees the other whole.
    const alone = events.some((event) => event.type === 'DestinationRiskAlertIssued');
    await client.query(`SELECT pg_advisory_xact_lock${alone ? '' : '_shared'}(hashtextextended('touchpoints:risk-alerts', 0))`);
    keep((await client.query(`${STORED_FACTS} WHERE customer_id = ANY($1)`, [customerIds])).rows);
    const alerts: (RiskAlert & { issuedAt: string })[] = [];
    const otherThanAssignments = new Set<string>();
    for (const event of events as HandledEvent[]) {
      // Risk alerts have their own streams (risk-alert-<id>), which hold nothing else.
      if (event.type === 'DestinationRiskAlertIssued') {
        alerts.push({ ...event.data, issuedAt: event.occurredAt });
        continue;
      }
      const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
      if (event.type !== 'CampaignArmAssigned') otherThanAssignments.add(customerId);
      const next = foldTouchpointFacts(facts.get(customerId), customerId, streamEventOf(event) as TouchpointFactEvent);
      if (next) facts.set(customerId, next);
    }
    // Facts are stored as the text written (json, not jsonb: read back as text, which jsonb spends most of a read
    // on): the document, and each campaign arm in a row of its own. A customer with anything here but campaign
    // assignments gets the document written whole; one with assignments only (a launch's) gets rows for them, and the
    // document stays as it was (an update of the document's row to add an arm copied the whole row: a third of
    // touchpoints' time in a launch to 100,000 customers). New customers' documents are copied in (COPY); the others
    // are rewritten from a JSON object by id rather than an array parameter, in which every quote of a document is
    // escaped by the driver and unescaped by the server.
    const json = new Map<string, { facts: string; campaigns: string }>();
    const written = (id: string): { facts: string; campaigns: string } => {
      if (!json.has(id)) {
        const { campaigns = [], ...document } = facts.get(id)!;
        json.set(id, { facts: JSON.stringify(document), campaigns: JSON.stringify(campaigns) });
      }
      return json.get(id)!;
    };
    const factsText = (id: string): string => wholeFacts(written(id));
    const fresh = customerIds.filter((id) => facts.has(id) && !before.has(id));
    if (fresh.length) await copyInto(client, FACTS_COPY, copyLines(fresh, (id) => [id, written(id).facts]));
    const rewritten = customerIds.filter((id) => facts.has(id) && before.has(id) && otherThanAssignments.has(id));
    if (rewritten.length) {
      await client.query('UPDATE read_models.touchpoint_facts f SET facts = d.value FROM json_each($1::json) d WHERE f.customer_id = d.key', [
        `{${rewritten.map((id) => `${JSON.stringify(id)}:${written(id).facts}`).join(',')}}`,
      ]);
    }
    // The fold only appends to a customer's campaigns, so the arms past the stored ones are the new ones.
    const arms = customerIds.flatMap((id) => {
      const stored = storedCampaigns.get(id) ?? 0;
      return (facts.get(id)?.campaigns ?? []).slice(stored).map((arm, i): [string, number, string] => [id, stored + i + 1, JSON.stringify(arm)]);
    });
    if (arms.length) await copyInto(client, ARMS_COPY, copyLines(arms, (arm) => arm));
    // Alerts new to the table: the rows were computed without them.
    const added = new Set<string>();
    for (const alert of alerts) {
      const inserted = await client.query(
        `INSERT INTO read_models.touchpoint_risk_alerts (alert_id, issued_at, country, city, from_date, to_date, severity, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [alert.alertId, alert.issuedAt, alert.country, alert.city ?? null, alert.from, alert.to, alert.severity, alert.message],
      );
      if (inserted.rowCount) added.add(alert.alertId);
      if (!scheduling) continue;
      // The customers with a booking to that country whose trip, as booked or as amended, may overlap the period:
      // the schedule decides exactly. Trips long over or far ahead are not recomputed. Only documents with the
      // country's code in them are parsed, where its JSON text is the same however it was written (no escapes).
      const concerned = await client.query(
        `${STORED_FACTS}
          WHERE ($4::text IS NULL OR strpos(facts::text, $4) > 0) AND jsonb_path_exists(facts::jsonb, '$.bookings[*] ? (@.destination.country == $c && ((@.departureDate <= $to && @.returnDate >= $from) || exists(@.amendments[*])))',
                                  jsonb_build_object('c', $1::text, 'from', $2::text, 'to', $3::text))`,
        [alert.country, alert.from, alert.to, /^[A-Za-z0-9 ._-]+$/.test(alert.country) ? JSON.stringify(alert.country) : null],
      );
      keep(concerned.rows);
    }
    const customers = [...facts.values()];
    if (!customers.length || !scheduling) return;
    const alertsByCustomer = await alertsFor(client, customers);
    // A campaign's sends, where they provably change nothing else, found here; the other customers' schedules in the thread.
    const sends: Touchpoint[] = [];
    const whole = new Set(customers.map((c) => c.customerId));
    for (const [customerId, { campaignId, latestMarketingDueAt }] of await withLatestDue(client, alone ? new Map() : assignmentOnly(events as HandledEvent[], before))) {
      const rows = rowsAddedByAssignment(facts.get(customerId)!, alertsByCustomer.get(customerId) ?? [], campaignId, config, latestMarketingDueAt);
      if (!rows) continue;
      sends.push(...rows);
      whole.delete(customerId);
    }
    const scheduled = whole.size
      ? await schedules.run(
          [...whole].map((customerId): CustomerToSchedule => {
            const riskAlerts = alertsByCustomer.get(customerId) ?? [];
            const stored = before.get(customerId);
            const was = stored === undefined ? {} : { before: { facts: stored, riskAlerts: riskAlerts.filter((alert) => !added.has(alert.alertId)) } };
            return { customerId, facts: facts.has(customerId) ? factsText(customerId) : (stored as string), riskAlerts, ...was };
          }),
          config,
        )
      : { deleted: [], copy: '' };
    const changes = { deleted: scheduled.deleted, copy: scheduled.copy + newRowsCopy(sends) };
    if (changes.deleted.length) await client.query('DELETE FROM read_models.touchpoints WHERE touchpoint_id = ANY($1)', [changes.deleted]);
    if (changes.copy) await copyInto(client, TOUCHPOINT_COPY, [changes.copy]);
  }

  return {
    name: 'touchpoints',
    version: 1,
    handles: [...TOUCHPOINT_FACT_EVENTS, 'DestinationRiskAlertIssued'],
    migrations: TOUCHPOINT_MIGRATIONS,
    tables: ['read_models.touchpoints', 'read_models.touchpoint_facts', 'read_models.touchpoint_campaign_arms', 'read_models.touchpoint_risk_alerts'],
    // Half its batch is JavaScript (facts, schedules), half PostgreSQL: batches side by side overlap them (a launch to
    // 100,000 customers waited 8 s on touchpoints alone, one batch after another, with a core idle). Four, two
    // partitions each: once the JavaScript of a campaign send was cheap, two left the last seconds of a launch to
    // touchpoints' round trips (7.4-8.3 s with two, 6.7-7.8 s with four, alternating; eight, 8.1-8.4 s).
    followers: 4,
    apply: (client, events) => applyBatch(client, events, true),
    bulk: {
      unindexed: ['read_models.touchpoints'],
      apply: (client, events) => applyBatch(client, events, false),
      async finish(inTransaction, progress) {
        const ids = await inTransaction(async (client) => (await client.query<{ customer_id: string }>('SELECT customer_id FROM read_models.touchpoint_facts ORDER BY customer_id')).rows);
        const alerts = await inTransaction(async (client) =>
          riskAlertsFor(client, (await client.query<{ country: string }>('SELECT DISTINCT country FROM read_models.touchpoint_risk_alerts')).rows.map((row) => row.country)),
        );
        let next = 0;
        let done = 0;
        const page = (): string[] => ids.slice(next, (next += BULK_PAGE)).map((row) => row.customer_id);
        // Two threads, each a page at a time: one schedules while the other's rows are copied in.
        const threads = [0, 1].map(() => new OffThread<[{ customerId: string; facts: string }[], TouchpointFacts['riskAlerts'], TouchpointConfig], string>(rowsModule, 'touchpointRows'));
        try {
          await Promise.all(
            threads.map(async (thread) => {
              for (let customers = page(); customers.length; customers = page()) {
                await inTransaction(async (client) => {
                  const { rows } = await client.query(`${STORED_FACTS} WHERE customer_id = ANY($1)`, [customers]);
                  const copy = await thread.run(
                    rows.map((row: { customer_id: string; facts: string; campaigns: string }) => ({ customerId: row.customer_id, facts: wholeFacts(row) })),
                    alerts,
                    config,
                  );
                  if (copy) await copyInto(client, TOUCHPOINT_COPY, [copy]);
                });
                progress((done += customers.length), ids.length);
              }
            }),
          );
        } finally {
          await Promise.all(threads.map((thread) => thread.close()));
        }
      },
    },
  };
}
