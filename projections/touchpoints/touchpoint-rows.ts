import { copyLine } from '../../libs/postgres/src/copy-rows';
import { canonicalJson } from '../../libs/event-store/src/idempotency';
import { scheduleCustomer, type CustomerTouchpointFacts, type Touchpoint, type TouchpointConfig, type TouchpointFacts } from '../../libs/touchpoints/src';

/** What one customer's schedule is computed from: the folded facts as JSON, the alerts that may concern them. */
export interface ScheduleInput {
  facts: string;
  riskAlerts: TouchpointFacts['riskAlerts'];
}

/**
 * One customer to schedule: what the schedule follows from now, and what the customer's rows in the table were
 * computed from (absent for a customer with no rows yet).
 */
export interface CustomerToSchedule extends ScheduleInput {
  customerId: string;
  before?: ScheduleInput;
}

/** The writes that bring the customers' rows from their `before` schedule to the current one. */
export interface RowChanges {
  /** Rows to delete first: gone from the schedule, changed, or (for a customer with rows already) new. */
  deleted: string[];
  /** The new and changed rows as COPY text for TOUCHPOINT_COPY. */
  copy: string;
}

export const TOUCHPOINT_COPY = `COPY read_models.touchpoints (touchpoint_id, customer_id, booking_id, complaint_id, alert_id, kind, phase, due_at, channel,
  language, urgent, marketing, status, content_hints, reason, completed_at, completed_by, outcome, note, campaign_id) FROM STDIN`;

const line = (t: Touchpoint): string =>
  copyLine([
    t.touchpointId,
    t.customerId,
    t.bookingId ?? null,
    t.complaintId ?? null,
    t.alertId ?? null,
    t.kind,
    t.phase,
    t.dueAt,
    t.channel,
    t.language,
    t.urgent,
    t.marketing,
    t.status,
    `{${t.contentHints.map((h) => `"${h.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`,
    t.reason ?? null,
    t.completedAt ?? null,
    t.completedBy ?? null,
    t.outcome ?? null,
    t.note ?? null,
    t.campaignId ?? null,
  ]);

type RiskAlerts = TouchpointFacts['riskAlerts'];

/** Alerts by country, each country's in the order given. */
export function alertsByCountry(alerts: RiskAlerts): Map<string, RiskAlerts> {
  const byCountry = new Map<string, RiskAlerts>();
  for (const alert of alerts) byCountry.set(alert.country, [...(byCountry.get(alert.country) ?? []), alert]);
  return byCountry;
}

/** The alerts that may concern a customer: those for the countries of their bookings, country by country as first booked. */
export const alertsOfCustomer = (facts: CustomerTouchpointFacts, byCountry: Map<string, RiskAlerts>): RiskAlerts =>
  [...new Set(facts.bookings.map((booking) => booking.destination.country))].flatMap((country) => byCountry.get(country) ?? []);

/**
 * Every row of customers who have none yet, as COPY text: a blue/green build's schedules, computed once per customer
 * from the facts it folded (touchpointsProjection's bulk build). Runs in a worker thread, like touchpointRowChanges.
 */
export function touchpointRows(customers: { customerId: string; facts: string }[], alerts: RiskAlerts, config: TouchpointConfig): string {
  const byCountry = alertsByCountry(alerts);
  let copy = '';
  for (const customer of customers) {
    const facts = JSON.parse(customer.facts) as CustomerTouchpointFacts;
    for (const row of scheduleCustomer(facts, alertsOfCustomer(facts, byCountry), config)) copy += line(row);
  }
  return copy;
}

/**
 * Rows found without a schedule diff (a campaign's sends, rowsAddedByAssignment) as COPY text. Nothing is deleted
 * first: no row of a campaign the customer is assigned to for the first time can exist (its id is the campaign's).
 * Deleting them anyway cost 8 ms a batch of 1,000 and found nothing (0.8 s of a launch to 100,000 customers); were
 * one there, the copy would refuse the batch and stop the read model at the event, as any refused event does.
 */
export const newRowsCopy = (rows: Touchpoint[]): string => rows.map(line).join('');

/** An input parsed, with the key of its content: the stored facts come back from jsonb with their keys reordered. */
const parsed = ({ facts, riskAlerts }: ScheduleInput): { facts: CustomerTouchpointFacts; riskAlerts: ScheduleInput['riskAlerts']; key: string } => {
  const value = JSON.parse(facts) as CustomerTouchpointFacts;
  return { facts: value, riskAlerts, key: `${hash53(canonicalJson(value))}:${hash53(canonicalJson(riskAlerts))}` };
};

const rowsOf = ({ facts, riskAlerts }: ReturnType<typeof parsed>, config: TouchpointConfig): Map<string, Touchpoint> =>
  new Map(scheduleCustomer(facts, riskAlerts, config).map((t) => [t.touchpointId, t]));

/** A 53-bit hash of a text (cyrb53): tells a changed row or input from an unchanged one; fast on short lines. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The schedules this thread computed last, by customer: the key of what each was computed from, and its rows' hashes
 * as text ("id hash" lines). A customer's `before` is mostly the schedule of the batch before, found here instead of
 * computed again, which doubled the thread's work. Keyed by content, so a batch rolled back or a rebuild finds nothing
 * stale. Bounded like BoundedMemo (the thread's heap, not the engine's, and the thread stops when idle).
 */
const recent = new Map<string, { key: string; rows: string }>();
let recentChars = 0;
const RECENT_CHARS = 24_000_000;

function remember(customerId: string, key: string, rows: Map<string, number>): void {
  const text = [...rows].map(([id, hash]) => `${id} ${hash}`).join('\n');
  recentChars += text.length - (recent.get(customerId)?.rows.length ?? 0);
  if (recentChars > RECENT_CHARS) {
    recent.clear();
    recentChars = text.length;
  }
  recent.set(customerId, { key, rows: text });
}

function recalled(customerId: string, key: string): Map<string, number> | undefined {
  const found = recent.get(customerId);
  if (found?.key !== key) return undefined;
  return new Map(found.rows.split('\n').map((pair) => [pair.slice(0, pair.indexOf(' ')), Number(pair.slice(pair.indexOf(' ') + 1))]));
}

/** Each row's hash, over its JSON (one function builds every row, so equal rows give equal text). */
const hashes = (rows: Map<string, Touchpoint>): Map<string, number> => new Map([...rows].map(([id, row]) => [id, hash53(JSON.stringify(row))]));

/**
 * The row writes for the customers, as the difference between the schedule their rows were computed from and the
 * current one: a booking changes its own few rows (and the marketing ones the frequency cap moves), so only those
 * are written. Rewriting every row of each changed customer made the projection's work per event grow with the
 * customer's history (issue 15: 400 rows written for a customer's 51st booking). The rows follow from the facts, the
 * alerts and the config alone, so the table holds exactly the `before` schedule's rows.
 *
 * It runs in a worker thread (the projection's OffThread), so it takes and returns strings: a string crosses threads
 * in one copy, 15,000 row objects took 100 ms to deserialize on the main thread.
 */
export function touchpointRowChanges(customers: CustomerToSchedule[], config: TouchpointConfig): RowChanges {
  const deleted: string[] = [];
  let copy = '';
  for (const customer of customers) {
    const input = parsed(customer);
    const was = customer.before && parsed(customer.before);
    if (was?.key === input.key) continue;
    const now = rowsOf(input, config);
    const nowHashes = hashes(now);
    const before = was ? (recalled(customer.customerId, was.key) ?? hashes(rowsOf(was, config))) : new Map<string, number>();
    remember(customer.customerId, input.key, nowHashes);
    for (const id of before.keys()) if (!now.has(id)) deleted.push(id);
    for (const [id, row] of now) {
      if (before.get(id) === nowHashes.get(id)) continue;
      if (was) deleted.push(id);
      copy += line(row);
    }
  }
  return { deleted, copy };
}
