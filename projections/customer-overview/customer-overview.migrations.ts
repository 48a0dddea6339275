import { ERASED } from '../../libs/domain/src/personal-data';
import type { Migration } from '../../libs/postgres/src';

export const CUSTOMER_OVERVIEW_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'customer overview tables',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.customer_overview (
  customer_id         text PRIMARY KEY,
  name                text NOT NULL,
  email               text,
  phone               text,
  birth_date          date,
  time_zone           text NOT NULL,
  language            text NOT NULL,
  preferred_channel   text NOT NULL,
  marketing_consent   boolean NOT NULL,
  tags                text[] NOT NULL DEFAULT '{}',
  registered_at       timestamptz NOT NULL,
  bookings_count      int NOT NULL DEFAULT 0,
  trips_count         int NOT NULL DEFAULT 0,
  cancellations_count int NOT NULL DEFAULT 0,
  open_complaints     int NOT NULL DEFAULT 0,
  total_complaints    int NOT NULL DEFAULT 0,
  revenue             jsonb NOT NULL DEFAULT '{}',
  first_trip_date     date,
  last_trip_date      date,
  last_nps            int,
  last_nps_at         timestamptz,
  last_event_at       timestamptz NOT NULL,
  version             bigint NOT NULL
);
COMMENT ON TABLE read_models.customer_overview IS 'One row per customer: profile and lifetime counts (projection customer_overview).';
COMMENT ON COLUMN read_models.customer_overview.revenue IS 'Minor units per ISO 4217 currency, e.g. {"EUR": 129900}: current amounts of bookings not cancelled.';
COMMENT ON COLUMN read_models.customer_overview.trips_count IS 'Bookings that departed (including those returned).';
COMMENT ON COLUMN read_models.customer_overview.version IS 'Stream version of the last event applied: usable as If-Match.';

CREATE TABLE read_models.customer_overview_bookings (
  customer_id    text NOT NULL,
  booking_id     text NOT NULL,
  status         text NOT NULL,
  departure_date date NOT NULL,
  return_date    date NOT NULL,
  amount_value   bigint NOT NULL,
  currency       text NOT NULL,
  PRIMARY KEY (customer_id, booking_id)
);

CREATE TABLE read_models.customer_overview_complaints (
  customer_id  text NOT NULL,
  complaint_id text NOT NULL,
  status       text NOT NULL,
  PRIMARY KEY (customer_id, complaint_id)
);
`,
  },
  {
    version: 2,
    name: 'apply a batch of events in one call',
    // Created read_models.customer_overview_apply, which migration 7 dropped.
    sql: '',
  },
  {
    version: 3,
    name: 'VIP status',
    sql: `
ALTER TABLE read_models.customer_overview ADD COLUMN vip boolean NOT NULL DEFAULT false, ADD COLUMN vip_since timestamptz;
COMMENT ON COLUMN read_models.customer_overview.vip IS 'Granted by a person (VipStatusGranted), until revoked.';
`,
  },
  {
    version: 4,
    name: 'touchpoint completions pass through',
    // A new version of the apply function: nothing left for a migration to do.
    sql: '',
  },
  {
    version: 5,
    name: 'forgotten customers shown erased',
    sql: `
ALTER TABLE read_models.customer_overview ADD COLUMN erased boolean NOT NULL DEFAULT false, ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN read_models.customer_overview.erased IS 'The customer was forgotten (CustomerForgotten): name reads ${ERASED}, e-mail, phone and birth date are null; counts and revenue still hold.';
`,
  },
  {
    version: 6,
    name: 'customers found by name, e-mail or phone through a blind index',
    // The key lives in the privacy schema, beside the customers' data keys: whoever may read read_models (analysts,
    // a replica) sees only HMACs, and cannot test a guessed e-mail against them.
    sql: `
CREATE SCHEMA IF NOT EXISTS privacy;
CREATE TABLE IF NOT EXISTS privacy.search_key (id int PRIMARY KEY CHECK (id = 1), key bytea NOT NULL);
COMMENT ON TABLE privacy.search_key IS 'The key of the customer search blind index (read_models.customer_search): keep it out of analysts'' reach.';
INSERT INTO privacy.search_key VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')) ON CONFLICT DO NOTHING;
CREATE TABLE read_models.customer_search (
  term        bytea NOT NULL,
  customer_id text NOT NULL,
  PRIMARY KEY (term, customer_id)
);
CREATE INDEX customer_search_by_customer ON read_models.customer_search (customer_id);
COMMENT ON TABLE read_models.customer_search IS 'Blind index: HMAC-SHA-256 (16 bytes, key privacy.search_key) of each customer''s e-mail, phone digits and name words; none for a forgotten customer.';
`,
  },
  {
    version: 7,
    name: 'batches folded in the projection, not in a function',
    // The rows are loaded, folded and written back by the projection (customer-overview.evolve.ts) since issue 16.
    sql: 'DROP FUNCTION IF EXISTS read_models.customer_overview_apply(jsonb)',
  },
];
