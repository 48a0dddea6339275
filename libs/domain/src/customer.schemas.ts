import { CAMPAIGN_EVENT_TYPES } from './campaign.events';
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
 * ComplaintFiled and SurveyAnswered (issue 19)
 * - v1 had no cause;
 * - v2 may carry `department` (who was responsible) and `phase` (pre-trip, during, post-trip). Both are optional and
 *   nothing can tell them for an old event afterwards, so v1 reads as v2 without them: "not recorded", which the
 *   feedback read model counts under null, exactly as it counted every v1 event before.
 *
 * Campaign events and CampaignArmAssigned (issue 18) start at v1.
 * CustomerForgotten (issue 7) starts at v1: `{ reason }`, never encrypted (it is about the erasure, not the person).
 * Personal fields are encrypted in the log by libs/privacy below this layer, so schemas and upcasters see plaintext.
 */
const tripBookedV1ToV2 = ({ price, currency, ...rest }: Record<string, unknown>): Record<string, unknown> => ({
  ...rest,
  amount: fromMajorUnits(price as number, currency as string),
});

/** No cause was recorded: copied, so a reader never shares the stored object. */
const withoutCause = (data: Record<string, unknown>): Record<string, unknown> => ({ ...data });

/**
 * Every event type this build stores, in customer, risk-alert, engine-schedule and campaign streams alike, at its current version.
 * Structurally an EventSchemas of libs/event-store (the domain imports no other lib).
 */
export const CUSTOMER_EVENT_SCHEMAS = {
  current: { ...Object.fromEntries([...CUSTOMER_EVENT_TYPES, ...RISK_ALERT_EVENT_TYPES, ...ENGINE_SCHEDULE_EVENT_TYPES, ...CAMPAIGN_EVENT_TYPES].map((type) => [type, 1])), TripBooked: 2, ComplaintFiled: 2, SurveyAnswered: 2 } as Readonly<
    Record<string, number>
  >,
  upcasters: { TripBooked: { 1: tripBookedV1ToV2 }, ComplaintFiled: { 1: withoutCause }, SurveyAnswered: { 1: withoutCause } },
};
