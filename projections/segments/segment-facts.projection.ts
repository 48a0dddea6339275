import { CUSTOMER_STREAM_PREFIX, type CustomerEventType } from '../../libs/domain/src/customer.events';
import type { Projection } from '../../libs/projection-engine/src';
import { SEGMENTS_MIGRATIONS, SEGMENTS_ROUTINES } from './segments.migrations';

/** The events that change what a segment evaluation sees; departures, complaints and the like do not. */
const FACT_EVENTS: readonly CustomerEventType[] = [
  'CustomerRegistered',
  'CustomerProfileUpdated',
  'VipStatusGranted',
  'VipStatusRevoked',
  'TripBooked',
  'BookingAmended',
  'BookingCancelled',
  'TripReturned',
];

/**
 * Per-customer facts for segment evaluation. Membership itself is not projected: it is evaluated from these facts
 * as of an instant (segment-evaluation.ts), because recency and trailing windows move with time, not with events.
 */
export const segmentFactsProjection: Projection = {
  name: 'segment_facts',
  version: 1,
  handles: FACT_EVENTS,
  migrations: SEGMENTS_MIGRATIONS,
  routines: SEGMENTS_ROUTINES,
  tables: ['read_models.segment_facts_bookings', 'read_models.segment_facts_customers'],
  async apply(client, events) {
    const applied = events
      .filter((event) => event.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
      .map((event) => ({ customerId: event.streamId.slice(CUSTOMER_STREAM_PREFIX.length), type: event.type, data: event.data, occurredAt: event.occurredAt }));
    // The rules per event type live in read_models.segment_facts_apply (segment-facts.apply.sql).
    if (applied.length) await client.query('SELECT read_models.segment_facts_apply($1)', [JSON.stringify(applied)]);
  },
};
