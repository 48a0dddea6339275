import { CUSTOMER_EVENT_TYPES } from './customer.events';
import { ENGINE_SCHEDULE_EVENT_TYPES } from './engine-schedule';
import { RISK_ALERT_EVENT_TYPES } from './risk-alert';
import { fromMajorUnits } from './money';

/**
 * Event schema history (DESIGN section 3: stored events are never rewritten; readers upcast).
 *
 * TripBooked
 * - v1 carried `price` (decimal, major units) and `currency` side by side;
 * - v2 carries `amount: { value (integer minor units), currency }` like every other money field.
 *
 * CustomerForgotten (issue 7) starts at v1: `{ reason }`, never encrypted (it is about the erasure, not the person).
 * Personal fields are encrypted in the log by libs/privacy below this layer, so schemas and upcasters see plaintext.
 */
const tripBookedV1ToV2 = ({ price, currency, ...rest }: Record<string, unknown>): Record<string, unknown> => ({
  ...rest,
  amount: fromMajorUnits(price as number, currency as string),
});

/**
 * Every event type this build stores, in customer, risk-alert and engine-schedule streams alike, at its current version.
 * Structurally an EventSchemas of libs/event-store (the domain imports no other lib).
 */
export const CUSTOMER_EVENT_SCHEMAS = {
  current: { ...Object.fromEntries([...CUSTOMER_EVENT_TYPES, ...RISK_ALERT_EVENT_TYPES, ...ENGINE_SCHEDULE_EVENT_TYPES].map((type) => [type, 1])), TripBooked: 2 } as Readonly<Record<string, number>>,
  upcasters: { TripBooked: { 1: tripBookedV1ToV2 } },
};
