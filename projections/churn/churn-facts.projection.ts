import { CUSTOMER_STREAM_PREFIX, type CustomerEventType } from '../../libs/domain/src/customer.events';
import { CHURN_SCHEDULE_STREAM } from '../../libs/domain/src/engine-schedule';
import type { PartitionCheckpoints, Projection } from '../../libs/projection-engine/src';
import { publishChurn, redoChurn } from './churn-model';
import { CHURN_MIGRATIONS, CHURN_ROUTINES } from './churn.migrations';

/** The events behind a churn score: trips and their amounts, cancellations, complaints, surveys, contacts. */
const FACT_EVENTS: readonly CustomerEventType[] = [
  'TripBooked',
  'BookingAmended',
  'BookingCancelled',
  'TripReturned',
  'ComplaintFiled',
  'ComplaintResolved',
  'SurveyAnswered',
  'InteractionLogged',
];

/** Fits and scorings take turns on this session lock, and a rebuild's switch takes it (RecordedWork.lock). */
export const CHURN_SCHEDULE_LOCK = 'churn_schedule';

/**
 * Per-customer facts for churn scores. Scores themselves are not projected: they are computed as of an instant
 * (churn-model.ts), because P(alive) falls and deadlines pass with time, not with events; the fits' and scorings'
 * tables are this read model's too, so a rebuild brings them back with it.
 */
export const churnFactsProjection: Projection = {
  name: 'churn_facts',
  version: 1,
  handles: FACT_EVENTS,
  migrations: CHURN_MIGRATIONS,
  routines: CHURN_ROUTINES,
  tables: [
    'read_models.churn_facts_bookings',
    'read_models.churn_facts_complaints',
    'read_models.churn_facts_surveys',
    'read_models.churn_facts_contacts',
    'read_models.churn_model_fits',
    'read_models.churn_scorings',
    'read_models.churn_risk',
  ],
  // The fits (copied) and scorings (redone on the facts at their checkpoint) recorded in the log (issue 16).
  recorded: {
    stream: CHURN_SCHEDULE_STREAM,
    lock: CHURN_SCHEDULE_LOCK,
    plan: (events) => events,
    at: (event) => (event.type === 'ChurnRiskScored' ? (event.data.factsCheckpoints as PartitionCheckpoints) : null),
    redo: (client, event) => redoChurn(client, event),
    publish: (client, store) => publishChurn(client, store),
  },
  async apply(client, events) {
    const applied = events
      .filter((event) => event.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
      .map((event) => ({ customerId: event.streamId.slice(CUSTOMER_STREAM_PREFIX.length), type: event.type, data: event.data, occurredAt: event.occurredAt }));
    // The rules per event type live in read_models.churn_facts_apply (churn-facts.apply.sql).
    if (applied.length) await client.query('SELECT read_models.churn_facts_apply($1)', [JSON.stringify(applied)]);
  },
};
