import { CAMPAIGN_EVENT_TYPES, CUSTOMER_EVENT_TYPES, CUSTOMER_STREAM_PREFIX, RISK_ALERT_EVENT_TYPES } from '../../libs/domain/src';
import type { Projection } from '../../libs/projection-engine/src';
import { AUDIT_TRAIL_MIGRATIONS } from './audit-trail.migrations';

/**
 * Every event type the engine writes. 'CustomerForgotten' (issue 7, erasure) is named as a literal so its events are
 * recorded from the first one on, whether or not the domain list includes it yet; the Set keeps it listed once.
 */
export const AUDITED_EVENT_TYPES: readonly string[] = [...new Set<string>([...CUSTOMER_EVENT_TYPES, 'CustomerForgotten', ...RISK_ALERT_EVENT_TYPES, ...CAMPAIGN_EVENT_TYPES])];

// One statement per batch, whatever its size: a column array per field, unnested into rows.
const INSERT = `
INSERT INTO read_models.audit_trail (global_position, event_id, stream_id, customer_id, stream_position, type, schema_version,
                                     actor_id, actor_role, source, correlation_id, causation_id, occurred_at, recorded_at)
SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[])`;

/**
 * The audit trail (issue 7): who did what, when, on whose behalf, caused by what, one row per event, metadata only.
 * Event data is never copied (personal data stays in the log, where erasure can reach it). Rows are plain inserts,
 * never updated: the projector applies each event exactly once, and a duplicate position fails the batch loudly.
 */
export const auditTrailProjection: Projection = {
  name: 'audit_trail',
  version: 1,
  handles: AUDITED_EVENT_TYPES,
  migrations: AUDIT_TRAIL_MIGRATIONS,
  tables: ['read_models.audit_trail'],
  async apply(client, events) {
    // The stored metadata is free-form jsonb: a missing field is recorded as null rather than stalling the projector.
    const meta = events.map((event) => event.metadata as Partial<(typeof event)['metadata']>);
    await client.query(INSERT, [
      events.map((event) => event.globalPosition),
      events.map((event) => event.eventId),
      events.map((event) => event.streamId),
      events.map((event) => (event.streamId.startsWith(CUSTOMER_STREAM_PREFIX) ? event.streamId.slice(CUSTOMER_STREAM_PREFIX.length) : null)),
      events.map((event) => event.streamPosition),
      events.map((event) => event.type),
      events.map((event) => event.schemaVersion),
      meta.map((m) => m.actor?.id ?? null),
      meta.map((m) => m.actor?.role ?? null),
      meta.map((m) => m.source ?? null),
      meta.map((m) => m.correlationId ?? null),
      meta.map((m) => m.causationId ?? null),
      events.map((event) => event.occurredAt),
      events.map((event) => event.recordedAt),
    ]);
  },
};
