import { routineFiles, type Migration } from '../../libs/postgres/src';

/**
 * read_models.segment_facts_apply (segment-facts.apply.sql) keeps the facts a segment evaluation needs, applied a batch
 * at a time in one round trip (as customer_overview does). Instants are the events' occurredAt, so an evaluation as of
 * a past instant sees what had happened by then. Installed after the migrations at every start.
 */
export const SEGMENTS_ROUTINES = routineFiles(__dirname, 'segment-facts.apply.sql');

export const SEGMENTS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'segment facts, evaluations, membership history and change feed',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.segment_facts_customers (
  customer_id   text PRIMARY KEY,
  registered_at timestamptz NOT NULL,
  declared_tags text[] NOT NULL DEFAULT '{}',
  tag_changes   jsonb NOT NULL DEFAULT '[]',
  vip_changes   jsonb NOT NULL DEFAULT '[]'
);
COMMENT ON TABLE read_models.segment_facts_customers IS 'Per-customer facts for segment evaluation (projection segment_facts).';
COMMENT ON COLUMN read_models.segment_facts_customers.declared_tags IS 'Interest tags declared at registration.';
COMMENT ON COLUMN read_models.segment_facts_customers.tag_changes IS 'Later declared tags (profile updates) in log order: [{"at": occurredAt, "tags": [...]}]; the last by an instant holds then.';
COMMENT ON COLUMN read_models.segment_facts_customers.vip_changes IS 'VIP grants and revocations in log order: [{"at": occurredAt, "granted": true|false}].';

CREATE TABLE read_models.segment_facts_bookings (
  customer_id         text NOT NULL,
  booking_id          text NOT NULL,
  booked_at           timestamptz NOT NULL,
  departure_date      date NOT NULL,
  amount_value        bigint NOT NULL,
  currency            text NOT NULL,
  amount_changes      jsonb NOT NULL DEFAULT '[]',
  travellers          int NOT NULL,
  product_type        text NOT NULL,
  destination_country text NOT NULL,
  channel             text NOT NULL,
  returned_at         timestamptz,
  cancelled_at        timestamptz,
  PRIMARY KEY (customer_id, booking_id)
);
COMMENT ON TABLE read_models.segment_facts_bookings IS 'Every booking: the amount as booked (minor units) and its amendments, when it was made, completed (returned) or cancelled.';
COMMENT ON COLUMN read_models.segment_facts_bookings.amount_changes IS 'Amended amounts in log order: [{"at": occurredAt, "value": minor units, "currency": code}]; the last by an instant holds then.';

CREATE TABLE read_models.segment_evaluations (
  evaluation_id  bigserial PRIMARY KEY,
  as_of          timestamptz NOT NULL,
  trigger        text NOT NULL CHECK (trigger IN ('events', 'schedule', 'on-demand')),
  config_version text NOT NULL,
  facts_position bigint NOT NULL,
  customers      int NOT NULL,
  memberships    int NOT NULL,
  entered        int NOT NULL,
  "left"         int NOT NULL,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL
);
COMMENT ON TABLE read_models.segment_evaluations IS 'Each recorded evaluation: the instant it evaluated as of, why it ran, the config version and facts position it used.';

CREATE TABLE read_models.segment_membership_history (
  history_id         bigserial PRIMARY KEY,
  customer_id        text NOT NULL,
  segment            text NOT NULL,
  entered_at         timestamptz NOT NULL,
  left_at            timestamptz,
  entered_evaluation bigint NOT NULL,
  left_evaluation    bigint,
  reason             text NOT NULL
);
-- Two indexes serve every query: a customer's stays (current ones and history), and a segment's members now or at a
-- past instant, in customer order. Each index costs about 0.6 s when 600,000 memberships enter at once.
CREATE INDEX segment_membership_by_customer ON read_models.segment_membership_history (customer_id, segment);
CREATE INDEX segment_membership_by_segment ON read_models.segment_membership_history (segment, customer_id);
COMMENT ON TABLE read_models.segment_membership_history IS 'One row per stay in a segment: entered at (and left at) the evaluation instants that decided it; reason as of entering.';

CREATE VIEW read_models.segment_membership AS
  SELECT customer_id, segment, entered_at AS since, reason, entered_evaluation AS evaluation_id
    FROM read_models.segment_membership_history WHERE left_at IS NULL;
COMMENT ON VIEW read_models.segment_membership IS 'Current membership: the stays that have not ended.';

CREATE TABLE read_models.segment_changes (
  position      bigserial PRIMARY KEY,
  evaluation_id bigint NOT NULL,
  at            timestamptz NOT NULL,
  customer_id   text NOT NULL,
  segment       text NOT NULL,
  change        text NOT NULL CHECK (change IN ('entered', 'left')),
  reason        text NOT NULL
);
COMMENT ON TABLE read_models.segment_changes IS 'The change feed: every entry and exit in order; position is the cursor of GET /segments/changes.';

CREATE TABLE read_models.segment_scores (
  evaluation_id         bigint NOT NULL,
  customer_id           text NOT NULL,
  currency              text NOT NULL,
  recency_days          int,
  trips                 int NOT NULL,
  bookings              int NOT NULL,
  revenue               bigint NOT NULL,
  r                     smallint,
  f                     smallint,
  m                     smallint,
  abc_revenue           bigint NOT NULL,
  abc_class             text,
  discount_revenue      bigint NOT NULL,
  discount_percent      numeric NOT NULL,
  next_discount_percent numeric,
  spend_to_next_discount bigint,
  PRIMARY KEY (evaluation_id, customer_id)
);
COMMENT ON TABLE read_models.segment_scores IS 'The figures of the latest recorded evaluation per customer; money in minor units of the base currency (column currency).';
`,
  },
  {
    version: 2,
    name: 'failed evaluations',
    sql: `
CREATE TABLE read_models.segment_evaluation_failures (
  reason           text PRIMARY KEY,
  as_of            timestamptz NOT NULL,
  trigger          text NOT NULL,
  config_version   text NOT NULL,
  first_failed_at  timestamptz NOT NULL,
  last_failed_at   timestamptz NOT NULL,
  attempts         int NOT NULL
);
COMMENT ON TABLE read_models.segment_evaluation_failures IS 'Evaluations that failed (e.g. a booking currency without a rate), one row per reason: the last attempt''s instant, trigger and config; current while last_failed_at is after the latest evaluation''s finished_at.';
`,
  },
  {
    version: 3,
    name: 'what a rebuild redoes an evaluation with',
    sql: `
ALTER TABLE read_models.segment_evaluations
  ADD COLUMN config jsonb,
  ADD COLUMN facts_checkpoints jsonb,
  ADD COLUMN first_history_id bigint,
  ADD COLUMN first_change_position bigint;
COMMENT ON COLUMN read_models.segment_evaluations.config IS 'The segments config evaluated with (null before it was kept); its events in engine-schedule-segments let a rebuild redo the evaluation.';
COMMENT ON COLUMN read_models.segment_evaluations.facts_checkpoints IS 'Where each partition of segment_facts stood in the evaluation''s snapshot ({"0": checkpoint, ...}): the facts it saw.';
`,
  },
  {
    version: 4,
    name: 'the destination city of each booking, for next-trip offers',
    // Offers (issue 19) read the trips this read model already keeps, with their city, instead of a seventh
    // projection: one more transaction per batch on the write path cost 23 % of write throughput for the sixth. Added in
    // place, not by a new projection version: a version bump rebuilds blue/green, which on an installation from before
    // partitions left one checkpoint row and lost segment_evaluation_failures (found by test/e2e/upgrade). Bookings
    // projected before this migration keep a null city until `npm run projections -- rebuild segment_facts`.
    sql: `
ALTER TABLE read_models.segment_facts_bookings ADD COLUMN destination_city text;
COMMENT ON COLUMN read_models.segment_facts_bookings.destination_city IS 'The destination city as booked (TripBooked): with destination_country, the place next-trip offers learn and suggest. Null for bookings projected before this column existed, until segment_facts is rebuilt.';
`,
  },
];
