import type { Migration } from '../../postgres/src';
import { LEASE_MIGRATIONS } from './partition-leases';

/** The projector's own tables: a checkpoint per read model and partition, in read_models with the rows they describe. */
export const CHECKPOINT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'projection checkpoints',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;
CREATE TABLE read_models.projection_checkpoints (
  name             text PRIMARY KEY,
  version          int NOT NULL,
  checkpoint       text NOT NULL,
  position         bigint NOT NULL DEFAULT 0,
  events_processed bigint NOT NULL DEFAULT 0,
  rate             double precision NOT NULL DEFAULT 0,
  updated_at       timestamptz,
  last_error       text
);`,
  },
  {
    version: 2,
    name: 'one checkpoint per partition, and where a partition stopped',
    sql: `
ALTER TABLE read_models.projection_checkpoints ADD COLUMN partition int NOT NULL DEFAULT 0, ADD COLUMN stopped jsonb;
ALTER TABLE read_models.projection_checkpoints DROP CONSTRAINT projection_checkpoints_pkey;
ALTER TABLE read_models.projection_checkpoints ADD PRIMARY KEY (name, partition);`,
  },
];

/**
 * Outside read_models: a rebuild, or dropping the schema, keeps the record of what was skipped, by whom and why; and
 * the partition leases of the projector processes.
 */
export const PROJECTOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'skipped events',
    sql: `
CREATE SCHEMA IF NOT EXISTS projector;
CREATE TABLE IF NOT EXISTS projector.skipped_events (
  projection  text NOT NULL,
  event_id    text NOT NULL,
  position    bigint NOT NULL,
  event_type  text NOT NULL,
  error       text NOT NULL,
  reason      text NOT NULL,
  skipped_by  text NOT NULL,
  skipped_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, event_id)
);`,
  },
  ...LEASE_MIGRATIONS,
];
