import { copyLine } from '../../libs/postgres/src/copy-rows';
import { scheduleCustomer, type Touchpoint, type TouchpointConfig, type TouchpointFacts } from '../../libs/touchpoints/src';

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
  language, urgent, marketing, status, content_hints, reason, completed_at, completed_by, outcome, note) FROM STDIN`;

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
  ]);

const linesOf = ({ facts, riskAlerts }: ScheduleInput, config: TouchpointConfig): Map<string, string> =>
  new Map(scheduleCustomer(JSON.parse(facts), riskAlerts, config).map((t) => [t.touchpointId, line(t)]));

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
    if (customer.before && customer.before.facts === customer.facts && JSON.stringify(customer.before.riskAlerts) === JSON.stringify(customer.riskAlerts)) continue;
    const now = linesOf(customer, config);
    const before = customer.before ? linesOf(customer.before, config) : new Map<string, string>();
    for (const id of before.keys()) if (!now.has(id)) deleted.push(id);
    for (const [id, text] of now) {
      if (before.get(id) === text) continue;
      if (customer.before) deleted.push(id);
      copy += text;
    }
  }
  return { deleted, copy };
}
