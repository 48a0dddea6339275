import { CUSTOMER_STREAM_PREFIX, type CustomerEventType } from '../../libs/domain/src/customer.events';
import { personalFieldsOf } from '../../libs/domain/src/personal-data';
import type { RecordedEvent } from '../../libs/event-store/src';
import type { Projection } from '../../libs/projection-engine/src';
import { FEEDBACK_MIGRATIONS, FEEDBACK_ROUTINES } from './feedback.migrations';

/**
 * The events behind the feedback figures. BookingAmended is left out: it changes dates and amounts, never the
 * destination or product. TripDeparted marks a trip taken (complaints per 100 trips). CustomerForgotten is left out too: these rows hold no personal data (the comments,
 * descriptions, notes and resolutions never reach the apply function), and a forgotten customer's answers and
 * complaints still count, as their trips still count in segment_facts and churn_facts (docs/read-models.md).
 */
const FEEDBACK_EVENTS: readonly CustomerEventType[] = ['TripBooked', 'TripDeparted', 'SurveyAnswered', 'ComplaintFiled', 'ComplaintAcknowledged', 'ComplaintResolved'];

/**
 * The agent a booking is credited to: the person who booked it through the API with the agent role. Other roles, an
 * import (last year's bookings loaded by whoever ran it) and the system sold nothing themselves: null, "no agent".
 */
const agentOf = (event: RecordedEvent): string | undefined =>
  event.type === 'TripBooked' && event.metadata.actor?.role === 'agent' && event.metadata.source === 'api' ? event.metadata.actor.id : undefined;

const withoutPersonalFields = (type: string, data: Record<string, unknown>): Record<string, unknown> => {
  const personal = personalFieldsOf(type);
  return personal.length ? Object.fromEntries(Object.entries(data).filter(([field]) => !personal.includes(field))) : data;
};

/** NPS answers and complaints, attributed to the destination, product type, channel and agent of their booking (GET /analytics/feedback*). */
export const feedbackProjection: Projection = {
  name: 'feedback',
  // 2 (issue 19): channel, agent, departures, department and phase; a rebuild fills them in for the whole log.
  version: 2,
  handles: FEEDBACK_EVENTS,
  migrations: FEEDBACK_MIGRATIONS,
  routines: FEEDBACK_ROUTINES,
  tables: ['read_models.feedback_bookings', 'read_models.feedback_surveys', 'read_models.feedback_complaints'],
  async apply(client, events) {
    const applied = events
      .filter((event) => event.streamId.startsWith(CUSTOMER_STREAM_PREFIX))
      .map((event) => ({
        customerId: event.streamId.slice(CUSTOMER_STREAM_PREFIX.length),
        type: event.type,
        data: withoutPersonalFields(event.type, event.data),
        occurredAt: event.occurredAt,
        agentId: agentOf(event),
      }));
    // The rules per event type live in read_models.feedback_apply (feedback.apply.sql).
    if (applied.length) await client.query('SELECT read_models.feedback_apply($1)', [JSON.stringify(applied)]);
  },
};
