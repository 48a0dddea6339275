import type { Migration } from '../../libs/postgres/src';

/**
 * The touchpoint schedule is computed in TypeScript (libs/touchpoints) from per-customer facts kept here with the
 * instants they happened at; the rows of `touchpoints` are replaced per customer whenever the customer's facts (or a
 * risk alert that concerns one of their bookings) change.
 */
export const TOUCHPOINT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'touchpoint facts, risk alerts and the schedule',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.touchpoint_facts (
  customer_id text PRIMARY KEY,
  facts       jsonb NOT NULL
);
COMMENT ON TABLE read_models.touchpoint_facts IS 'Per customer, everything the schedule is computed from (libs/touchpoints TouchpointFacts, without risk alerts): profile and consent history, bookings with amendments, complaints, completions.';

CREATE TABLE read_models.touchpoint_risk_alerts (
  alert_id  text PRIMARY KEY,
  issued_at timestamptz NOT NULL,
  country   text NOT NULL,
  city      text,
  from_date date NOT NULL,
  to_date   date NOT NULL,
  severity  text NOT NULL,
  message   text NOT NULL
);
CREATE INDEX touchpoint_risk_alerts_by_country ON read_models.touchpoint_risk_alerts (country, from_date);

CREATE TABLE read_models.touchpoints (
  touchpoint_id text PRIMARY KEY,
  customer_id   text NOT NULL,
  booking_id    text,
  complaint_id  text,
  alert_id      text,
  kind          text NOT NULL,
  phase         text NOT NULL,
  due_at        timestamptz NOT NULL,
  channel       text NOT NULL,
  language      text NOT NULL,
  urgent        boolean NOT NULL,
  marketing     boolean NOT NULL,
  status        text NOT NULL CHECK (status IN ('open', 'done', 'skipped', 'cancelled')),
  content_hints text[] NOT NULL,
  reason        text,
  completed_at  timestamptz,
  completed_by  text,
  outcome       text,
  note          text
);
CREATE INDEX touchpoints_by_customer ON read_models.touchpoints (customer_id, due_at);
-- The work queue: open touchpoints by due time (overdue = open and due before the query instant).
CREATE INDEX touchpoints_open_by_due ON read_models.touchpoints (due_at, touchpoint_id) WHERE status = 'open';
CREATE INDEX touchpoints_by_status_due ON read_models.touchpoints (status, due_at, touchpoint_id);
COMMENT ON TABLE read_models.touchpoints IS 'The schedule: one row per touchpoint, ids stable across rebuilds; status open, done, skipped or cancelled (overdue is open and past due at the query instant).';
`,
  },
];
