import { routineFiles, type Migration } from '../../libs/postgres/src';

/**
 * read_models.churn_facts_apply (churn-facts.apply.sql) keeps the facts a churn score needs, with the instants they happened at, so a score as of a past instant sees what had
 * happened by then. Trips and cancellations are kept here too (not read from segment_facts): each read model can be
 * dropped and rebuilt alone. Installed after the migrations at every start (libs/postgres migrate.ts).
 */
export const CHURN_ROUTINES = routineFiles(__dirname, 'churn-facts.apply.sql');

export const CHURN_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'churn facts, model fits and risk scores',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.churn_facts_bookings (
  customer_id  text NOT NULL,
  booking_id   text NOT NULL,
  booked_at    timestamptz NOT NULL,
  amount_value bigint NOT NULL,
  currency     text NOT NULL,
  returned_at  timestamptz,
  cancelled_at timestamptz,
  PRIMARY KEY (customer_id, booking_id)
);
COMMENT ON TABLE read_models.churn_facts_bookings IS 'Bookings for churn scores (projection churn_facts): a completed trip is a purchase at its return; amount in minor units of currency.';

CREATE TABLE read_models.churn_facts_complaints (
  customer_id  text NOT NULL,
  complaint_id text NOT NULL,
  filed_at     timestamptz NOT NULL,
  severity     text NOT NULL,
  resolved_at  timestamptz,
  PRIMARY KEY (customer_id, complaint_id)
);

CREATE TABLE read_models.churn_facts_surveys (
  customer_id text NOT NULL,
  survey_id   text NOT NULL,
  answered_at timestamptz NOT NULL,
  nps         int NOT NULL,
  PRIMARY KEY (customer_id, survey_id)
);

CREATE TABLE read_models.churn_facts_contacts (
  customer_id    text NOT NULL,
  interaction_id text NOT NULL,
  at             timestamptz NOT NULL,
  direction      text NOT NULL,
  PRIMARY KEY (customer_id, interaction_id)
);

CREATE TABLE read_models.churn_model_fits (
  fit_id           bigserial PRIMARY KEY,
  cutoff           timestamptz NOT NULL,
  model            text NOT NULL CHECK (model IN ('bgnbd', 'mbgnbd')),
  unit             text NOT NULL CHECK (unit IN ('day', 'week', 'month')),
  params           jsonb NOT NULL,
  standard_errors  jsonb NOT NULL,
  log_likelihood   double precision NOT NULL,
  gamma_gamma      jsonb,
  customers        int NOT NULL,
  repeat_buyers    int NOT NULL,
  converged        boolean NOT NULL,
  method           text NOT NULL,
  holdout          jsonb,
  config_version   text NOT NULL,
  trigger          text NOT NULL CHECK (trigger IN ('schedule', 'on-demand')),
  actor            text NOT NULL,
  fitted_at        timestamptz NOT NULL,
  duration_ms      int NOT NULL
);
COMMENT ON TABLE read_models.churn_model_fits IS 'Each successful fit of the churn model: cut-off, parameters (r, alpha, a, b in the unit), log-likelihood, Gamma-Gamma (p, q, v) and the holdout check. The current model is the latest row.';

CREATE TABLE read_models.churn_scorings (
  scoring_id  bigserial PRIMARY KEY,
  as_of       timestamptz NOT NULL,
  fit_id      bigint NOT NULL,
  currency    text NOT NULL,
  customers   int NOT NULL,
  bands       jsonb NOT NULL,
  config_version text NOT NULL,
  scored_at   timestamptz NOT NULL,
  duration_ms int NOT NULL
);
COMMENT ON TABLE read_models.churn_scorings IS 'Each scoring run: the instant it scored as of and the fit it used; churn_risk holds the latest run''s rows.';

CREATE TABLE read_models.churn_risk (
  scoring_id     bigint NOT NULL,
  customer_id    text NOT NULL,
  trips          int NOT NULL,
  last_trip_at   timestamptz NOT NULL,
  p_alive        double precision NOT NULL,
  expected_trips double precision NOT NULL,
  expected_value numeric NOT NULL,
  clv            numeric NOT NULL,
  risk           int NOT NULL,
  band           text NOT NULL CHECK (band IN ('low', 'medium', 'high')),
  reasons        jsonb NOT NULL,
  PRIMARY KEY (scoring_id, customer_id)
);
CREATE INDEX churn_risk_by_risk ON read_models.churn_risk (scoring_id, risk, customer_id);
CREATE INDEX churn_risk_by_clv ON read_models.churn_risk (scoring_id, clv, customer_id);
COMMENT ON TABLE read_models.churn_risk IS 'Churn risk per customer with a completed trip, from the latest scoring: P(alive), expected trips (next expectedTripsMonths), value per trip and CLV in major units of the base currency, risk 0-100, band and the reasons with their points.';
`,
  },
  {
    version: 2,
    name: 'what a rebuild redoes a scoring with',
    sql: `
ALTER TABLE read_models.churn_scorings ADD COLUMN settings jsonb, ADD COLUMN facts_checkpoints jsonb;
COMMENT ON COLUMN read_models.churn_scorings.settings IS 'The churn and currency settings scored with (null before they were kept); its event in engine-schedule-churn lets a rebuild redo the scoring.';
COMMENT ON COLUMN read_models.churn_scorings.facts_checkpoints IS 'Where each partition of churn_facts stood in the scoring''s snapshot ({"0": checkpoint, ...}): the facts it saw.';
`,
  },
  {
    version: 3,
    name: 'Pareto/NBD, and the model chosen by its holdout (issue 19)',
    sql: `
ALTER TABLE read_models.churn_model_fits DROP CONSTRAINT churn_model_fits_model_check;
ALTER TABLE read_models.churn_model_fits ADD CONSTRAINT churn_model_fits_model_check CHECK (model IN ('bgnbd', 'mbgnbd', 'pareto-nbd'));
ALTER TABLE read_models.churn_model_fits ADD COLUMN model_choice jsonb;
COMMENT ON COLUMN read_models.churn_model_fits.params IS 'r, alpha, a, b (bgnbd, mbgnbd) or r, alpha, s, beta (pareto-nbd); alpha and beta in the fit''s unit.';
COMMENT ON COLUMN read_models.churn_model_fits.model_choice IS 'How the model was chosen ({"rule": "configured" | "lowest-holdout-error" | "first-that-fits", "candidates": [{model, meanAbsoluteError, rootMeanSquareError, predictedTrips, actualTrips, calibrationLogLikelihood, error?}]}); null on fits from before it was kept.';
`,
  },
];
