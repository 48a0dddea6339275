import type { Migration } from '../../libs/event-store/src';

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
];
