import { CUSTOMER_STREAM_PREFIX, type CustomerEventType } from '../../libs/domain/src/customer.events';
import { SEGMENTS_SCHEDULE_STREAM } from '../../libs/domain/src/engine-schedule';
import type { PartitionCheckpoints, Projection } from '../../libs/projection-engine/src';
import { planEvaluations, redoEvaluation } from './segment-evaluation';
import { publishEvaluations } from './segment-publishing';
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

/** Evaluations take turns on this session lock, and a rebuild's switch takes it (RecordedWork.lock). */
export const SEGMENT_EVALUATION_LOCK = 'segment_evaluation';

/**
 * Per-customer facts for segment evaluation. Membership itself is not projected: it is evaluated from these facts
 * as of an instant (segment-evaluation.ts), because recency and trailing windows move with time, not with events;
 * the evaluations' tables are this read model's too, so a rebuild brings them back with it.
 */
export const segmentFactsProjection: Projection = {
  name: 'segment_facts',
  version: 1,
  handles: FACT_EVENTS,
  migrations: SEGMENTS_MIGRATIONS,
  routines: SEGMENTS_ROUTINES,
  tables: [
    'read_models.segment_facts_bookings',
    'read_models.segment_facts_customers',
    'read_models.segment_evaluations',
    'read_models.segment_membership_history',
    'read_models.segment_changes',
    'read_models.segment_scores',
  ],
  views: ['read_models.segment_membership'],
  // The evaluations recorded in the log are redone by a rebuild, each on the facts at its checkpoint (issue 16).
  recorded: {
    stream: SEGMENTS_SCHEDULE_STREAM,
    lock: SEGMENT_EVALUATION_LOCK,
    plan: (events) => planEvaluations(events),
    at: (event) => event.data.factsCheckpoints as PartitionCheckpoints,
    redo: (client, event) => redoEvaluation(client, event),
    publish: (client, store) => publishEvaluations(client, store),
  },
  async apply(client, events) {
    const applied = events
      .filter((event) => event.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
      .map((event) => ({ customerId: event.streamId.slice(CUSTOMER_STREAM_PREFIX.length), type: event.type, data: event.data, occurredAt: event.occurredAt }));
    // The rules per event type live in read_models.segment_facts_apply (segment-facts.apply.sql).
    if (applied.length) await client.query('SELECT read_models.segment_facts_apply($1)', [JSON.stringify(applied)]);
  },
};
