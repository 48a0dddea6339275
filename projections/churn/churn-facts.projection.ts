import { CUSTOMER_STREAM_PREFIX, type CustomerEventType } from '../../libs/domain/src/customer.events';
import type { Projection } from '../../libs/projection-engine/src';
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

/**
 * Per-customer facts for churn scores. Scores themselves are not projected: they are computed as of an instant
 * (churn-model.ts), because P(alive) falls and deadlines pass with time, not with events.
 */
export const churnFactsProjection: Projection = {
  name: 'churn_facts',
  version: 1,
  handles: FACT_EVENTS,
  migrations: CHURN_MIGRATIONS,
  routines: CHURN_ROUTINES,
  tables: ['read_models.churn_facts_bookings', 'read_models.churn_facts_complaints', 'read_models.churn_facts_surveys', 'read_models.churn_facts_contacts'],
  async apply(client, events) {
    const applied = events
      .filter((event) => event.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
      .map((event) => ({ customerId: event.streamId.slice(CUSTOMER_STREAM_PREFIX.length), type: event.type, data: event.data, occurredAt: event.occurredAt }));
    // The rules per event type live in read_models.churn_facts_apply (churn-facts.apply.sql).
    if (applied.length) await client.query('SELECT read_models.churn_facts_apply($1)', [JSON.stringify(applied)]);
  },
};
