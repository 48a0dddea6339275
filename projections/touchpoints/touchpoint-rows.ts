import { copyLine } from '../../libs/postgres/src/copy-rows';
import { scheduleCustomer, type TouchpointConfig, type TouchpointFacts } from '../../libs/touchpoints/src';

/** One customer to schedule: the folded facts as JSON (the text the projection stores), the alerts that may concern them. */
export interface CustomerToSchedule {
  facts: string;
  riskAlerts: TouchpointFacts['riskAlerts'];
}

export const TOUCHPOINT_COPY = `COPY read_models.touchpoints (touchpoint_id, customer_id, booking_id, complaint_id, alert_id, kind, phase, due_at, channel,
  language, urgent, marketing, status, content_hints, reason, completed_at, completed_by, outcome, note) FROM STDIN`;

/**
 * The customers' touchpoint rows as COPY text for TOUCHPOINT_COPY. It runs in a worker thread (the projection's
 * OffThread), so it takes and returns strings: a string crosses threads in one copy, 15,000 row objects took 100 ms
 * to deserialize on the main thread.
 */
export function touchpointRowsCopy(customers: CustomerToSchedule[], config: TouchpointConfig): string {
  let text = '';
  for (const customer of customers) {
    for (const t of scheduleCustomer(JSON.parse(customer.facts), customer.riskAlerts, config)) {
      text += copyLine([
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
    }
  }
  return text;
}
