import { routineFiles, type Migration } from '../../libs/postgres/src';

/** The batch apply function (feedback.apply.sql), installed after the migrations at every start (libs/postgres migrate.ts). */
export const FEEDBACK_ROUTINES = routineFiles(__dirname, 'feedback.apply.sql');

export const FEEDBACK_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'survey answers and complaints with the destination and product of their booking',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.feedback_bookings (
  customer_id         text NOT NULL,
  booking_id          text NOT NULL,
  destination_country text NOT NULL,
  destination_city    text NOT NULL,
  product_type        text NOT NULL,
  PRIMARY KEY (customer_id, booking_id)
);
COMMENT ON TABLE read_models.feedback_bookings IS 'What a survey answer or complaint about a booking is attributed to (projection feedback): a booking never changes destination or product.';

CREATE TABLE read_models.feedback_surveys (
  customer_id         text NOT NULL,
  survey_id           text NOT NULL,
  answered_at         timestamptz NOT NULL,
  nps                 int NOT NULL,
  booking_id          text,
  destination_country text,
  destination_city    text,
  product_type        text,
  PRIMARY KEY (customer_id, survey_id)
);
CREATE INDEX feedback_surveys_by_time ON read_models.feedback_surveys (answered_at);
COMMENT ON TABLE read_models.feedback_surveys IS 'One row per NPS answer (SurveyAnswered), without its comment. Destination and product come from the booking it names; null when it names none or one this read model does not know.';

CREATE TABLE read_models.feedback_complaints (
  customer_id         text NOT NULL,
  complaint_id        text NOT NULL,
  filed_at            timestamptz NOT NULL,
  category            text NOT NULL,
  severity            text NOT NULL,
  channel             text NOT NULL,
  booking_id          text,
  destination_country text,
  destination_city    text,
  product_type        text,
  acknowledged_at     timestamptz,
  resolved_at         timestamptz,
  PRIMARY KEY (customer_id, complaint_id)
);
CREATE INDEX feedback_complaints_by_time ON read_models.feedback_complaints (filed_at);
COMMENT ON TABLE read_models.feedback_complaints IS 'One row per complaint (ComplaintFiled), without its description, note or resolution text; open while resolved_at is null (or after the instant asked about).';
`,
  },
  {
    version: 2,
    name: 'what feedback points at: sales channel and agent, departures, department and trip phase',
    sql: `
ALTER TABLE read_models.feedback_bookings
  ADD COLUMN channel text,
  ADD COLUMN agent_id text,
  ADD COLUMN departed_at timestamptz;
COMMENT ON COLUMN read_models.feedback_bookings.channel IS 'The sales channel of the booking (TripBooked.channel).';
COMMENT ON COLUMN read_models.feedback_bookings.agent_id IS 'The agent who booked it: the actor id of TripBooked when its role is agent and it came through the API; null for other roles, imports and the system.';
COMMENT ON COLUMN read_models.feedback_bookings.departed_at IS 'The first TripDeparted (occurredAt): a trip taken, the denominator of complaints per 100 trips.';
CREATE INDEX feedback_bookings_by_departure ON read_models.feedback_bookings (departed_at) WHERE departed_at IS NOT NULL;

ALTER TABLE read_models.feedback_surveys
  ADD COLUMN channel text,
  ADD COLUMN agent_id text,
  ADD COLUMN department text,
  ADD COLUMN phase text;
COMMENT ON COLUMN read_models.feedback_surveys.channel IS 'Sales channel of the booking answered about (as destination: null when unknown).';
COMMENT ON COLUMN read_models.feedback_surveys.agent_id IS 'Agent of the booking answered about (feedback_bookings.agent_id).';
COMMENT ON COLUMN read_models.feedback_surveys.department IS 'Department responsible, as given with the answer (SurveyAnswered v2); null when not recorded.';
COMMENT ON COLUMN read_models.feedback_surveys.phase IS 'Trip phase (pre-trip, during, post-trip) given with the answer; null when not recorded.';
CREATE INDEX feedback_surveys_by_customer ON read_models.feedback_surveys (customer_id, answered_at, survey_id);

ALTER TABLE read_models.feedback_complaints
  ADD COLUMN department text,
  ADD COLUMN phase text;
COMMENT ON COLUMN read_models.feedback_complaints.department IS 'Department responsible, as given with the complaint (ComplaintFiled v2); null when not recorded.';
COMMENT ON COLUMN read_models.feedback_complaints.phase IS 'Trip phase (pre-trip, during, post-trip) given with the complaint; null when not recorded.';
`,
  },
];
