import type { Pool } from 'pg';
import type { ScheduledTouchpoint } from '../../../../libs/domain/src';
import { foldTouchpointFacts, scheduleCustomer, TOUCHPOINT_FACT_EVENTS, type CustomerTouchpointFacts, type StreamEvent, type TouchpointConfig, type TouchpointFactEvent } from '../../../../libs/touchpoints/src';
import { riskAlertsFor } from '../../../../projections/touchpoints/touchpoints.queries';

/*
 * The customer's touchpoint schedule on the write side, so that completing a touchpoint is decided where
 * TouchpointCompleted is appended, for the API and the import alike: computed with libs/touchpoints from the
 * customer's own stream (read for the decision anyway, so a cancellation a moment ago counts), the touchpoint config,
 * and the risk alerts of the countries the customer books.
 *
 * Risk alerts are other streams: they are read from the touchpoints projection's copy (touchpoint_risk_alerts), one
 * small query only for a completion. A risk notice exists on the read side only once its alert is projected too, so
 * both sides agree; what a completion must never miss (the customer's own events) comes from the stream.
 */

const FACT_TYPES: ReadonlySet<string> = new Set(TOUCHPOINT_FACT_EVENTS);

/** One event of the customer's stream folded into its facts, exactly as projections/touchpoints folds it (one fold, in libs/touchpoints). */
export const foldStreamEvent = (facts: CustomerTouchpointFacts | undefined, customerId: string, event: StreamEvent): CustomerTouchpointFacts | undefined =>
  // The store hands events over in their current schema (SchemaAwareEventStore): the type names the data's shape.
  FACT_TYPES.has(event.type) ? foldTouchpointFacts(facts, customerId, event as TouchpointFactEvent) : facts;

export const touchpointFactsOf = (customerId: string, events: readonly StreamEvent[]): CustomerTouchpointFacts | undefined =>
  events.reduce<CustomerTouchpointFacts | undefined>((facts, event) => foldStreamEvent(facts, customerId, event), undefined);

export class TouchpointSchedules {
  constructor(
    private readonly readModels: Pool,
    private readonly config: TouchpointConfig,
  ) {}

  /** The customer's touchpoints by id, as the touchpoints read model will show them once it has read the events folded into `facts`. */
  async of(facts: CustomerTouchpointFacts | undefined): Promise<ReadonlyMap<string, ScheduledTouchpoint>> {
    if (!facts) return new Map();
    const alerts = await riskAlertsFor(this.readModels, [...new Set(facts.bookings.map((b) => b.destination.country))]);
    return new Map(
      scheduleCustomer(facts, alerts, this.config).map((row) => [row.touchpointId, { status: row.status, reason: row.reason, completedAt: row.completedAt, completedBy: row.completedBy }]),
    );
  }
}
