import type { Migration } from '../../libs/postgres/src';

export const AUDIT_TRAIL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audit trail table',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;

CREATE TABLE read_models.audit_trail (
  global_position bigint PRIMARY KEY,
  event_id        uuid NOT NULL,
  stream_id       text NOT NULL,
  customer_id     text,
  stream_position bigint NOT NULL,
  type            text NOT NULL,
  schema_version  int NOT NULL,
  actor_id        text,
  actor_role      text,
  source          text,
  correlation_id  text,
  causation_id    text,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL
);
COMMENT ON TABLE read_models.audit_trail IS
  'One row per event of every stream (projection audit_trail): who did what, when, on whose behalf, caused by what. '
  'Metadata only, never event data: personal data must not leak into the audit trail (it would outlive erasure here).';
COMMENT ON COLUMN read_models.audit_trail.customer_id IS 'From the stream id customer-<id>; null for other streams (risk alerts).';
COMMENT ON COLUMN read_models.audit_trail.schema_version IS 'Shape version as the projector read the event (after upcasting); the stored one is event_store.events.schema_version.';
COMMENT ON COLUMN read_models.audit_trail.actor_id IS 'Null (like actor_role, source, correlation_id, causation_id) only when the stored metadata lacks the field.';
COMMENT ON COLUMN read_models.audit_trail.recorded_at IS 'When the log stored the event, to the millisecond as log readers see it.';

-- A customer's trail and a correlation's trail are read in log order; an actor's trail by when it was recorded,
-- the global position breaking ties (the keyset of actorAuditTrail).
CREATE INDEX audit_trail_customer ON read_models.audit_trail (customer_id, global_position) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_trail_correlation ON read_models.audit_trail (correlation_id, global_position);
CREATE INDEX audit_trail_actor ON read_models.audit_trail (actor_id, recorded_at, global_position);
`,
  },
];
