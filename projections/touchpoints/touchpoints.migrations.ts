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
  {
    // Added in place, like segment_facts' destination_city: no row holds a campaign or a held-out touchpoint before
    // this build, so every stored row is already right and no rebuild is needed (a config with holdouts needs one,
    // like any config change).
    version: 2,
    name: 'campaign touchpoints and held-out touchpoints',
    sql: `
ALTER TABLE read_models.touchpoints ADD COLUMN campaign_id text;
ALTER TABLE read_models.touchpoints DROP CONSTRAINT touchpoints_status_check;
ALTER TABLE read_models.touchpoints ADD CONSTRAINT touchpoints_status_check CHECK (status IN ('open', 'done', 'skipped', 'cancelled', 'held-out'));
CREATE INDEX touchpoints_by_campaign ON read_models.touchpoints (campaign_id, due_at, touchpoint_id) WHERE campaign_id IS NOT NULL;
-- Held-out touchpoints by kind, for the holdout analysis (GET /analytics/touchpoint-holdouts).
CREATE INDEX touchpoints_by_kind_due ON read_models.touchpoints (kind, due_at);
COMMENT ON COLUMN read_models.touchpoints.campaign_id IS 'The campaign of a campaign touchpoint (kind campaign); null for every other kind.';
COMMENT ON COLUMN read_models.touchpoints.status IS 'open, done, skipped, cancelled, or held-out: in its kind''s control group (config rules.<kind>.holdoutShare), never made, kept to measure the kind''s effect.';
`,
  },
  {
    // The queue without a status (every touchpoint due in a window, say) had no index to walk: 300,000 rows were
    // scanned and sorted for a page of 50 (1.1 s). touchpoints_by_status_due (status, due_at, touchpoint_id) serves
    // the open queue as well as the partial index did, and with a generic plan (status = $1) it is the only one that
    // can; the partial index makes way for one on every row, so each insert still keeps six.
    version: 3,
    name: 'the work queue by due time, whatever the status',
    sql: `DROP INDEX IF EXISTS read_models.touchpoints_open_by_due;
CREATE INDEX touchpoints_by_due ON read_models.touchpoints (due_at, touchpoint_id);`,
  },
  {
    // A launch appended each customer's assignment to their facts document with jsonb_set: 100,000 documents of about
    // 700 bytes rebuilt, and each read spent most of its time printing jsonb back to text (issue 18: touchpoints
    // finished a launch to 100,000 customers seconds after the other read models). The facts are now kept as the JSON
    // text the projection writes (json: checked, not parsed), and the campaign assignments in a column of their own,
    // to which a launch appends. Stored facts move over as they are: no rebuild is needed.
    version: 4,
    name: 'facts as written, campaign assignments apart',
    sql: `
ALTER TABLE read_models.touchpoint_facts ADD COLUMN campaigns json NOT NULL DEFAULT '[]';
UPDATE read_models.touchpoint_facts SET campaigns = (facts->'campaigns')::json, facts = facts - 'campaigns' WHERE facts ? 'campaigns';
ALTER TABLE read_models.touchpoint_facts ALTER COLUMN facts TYPE json USING facts::json;
COMMENT ON COLUMN read_models.touchpoint_facts.facts IS 'The facts document (json as written) without its campaign assignments.';
COMMENT ON COLUMN read_models.touchpoint_facts.campaigns IS 'The campaign arms the customer was assigned to (CampaignArmAssigned), in order: the facts'' campaigns; [] for none.';
`,
  },
  {
    // A campaign send is added without the customer's whole schedule once the latest due time of their open and done
    // marketing rows is known (the frequency cap). Read through (customer_id, due_at), that took a visit to every row
    // of the customer; with marketing and status in the index it is read from the index alone (100,000 customers of
    // five rows each: 1.34 s, now 0.42 s).
    version: 5,
    name: 'the frequency cap read from the customer index',
    sql: `DROP INDEX read_models.touchpoints_by_customer;
CREATE INDEX touchpoints_by_customer ON read_models.touchpoints (customer_id, due_at) INCLUDE (marketing, status);`,
  },
  {
    // A launch appended each customer's assignment to their campaigns column: an update, which copied the whole row,
    // facts document and all (some 800 bytes), kept it in the primary key again and wrote it all to the WAL. 100,000
    // appends took 0.9-1.8 s that way and 0.37 s as inserts of rows of their own (WAL 274 MB against 38 MB), and the
    // update was a third of touchpoints' time per batch in a launch (issue 18). The arms stored move over as they are.
    version: 6,
    name: 'campaign arms in a table of their own',
    sql: `
CREATE TABLE read_models.touchpoint_campaign_arms (
  customer_id text NOT NULL,
  ordinal     int NOT NULL,
  assignment  json NOT NULL,
  PRIMARY KEY (customer_id, ordinal)
);
INSERT INTO read_models.touchpoint_campaign_arms (customer_id, ordinal, assignment)
  SELECT f.customer_id, a.ordinal, a.assignment FROM read_models.touchpoint_facts f, json_array_elements(f.campaigns) WITH ORDINALITY a (assignment, ordinal);
ALTER TABLE read_models.touchpoint_facts DROP COLUMN campaigns;
COMMENT ON TABLE read_models.touchpoint_campaign_arms IS 'The campaign arms each customer was assigned to (CampaignArmAssigned): the facts'' campaigns, one row each, in order of ordinal (from 1).';
`,
  },
  {
    // The queue without a status now merges its walks of (status, due_at, touchpoint_id), one per status, a page at
    // most each (touchpointQueue): the due-time index of migration 3 served nothing else but the calendar, which the
    // status index serves too, and every row was kept in it (0.15 s per 90,000 rows copied in a launch; issue 18).
    version: 7,
    name: 'the queue by due time from the status index',
    sql: 'DROP INDEX read_models.touchpoints_by_due',
  },
];
