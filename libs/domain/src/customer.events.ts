/** Money in integer minor units (cents) with an ISO 4217 currency code. */
export interface Money {
  value: number;
  currency: string;
}

export interface Destination {
  country: string;
  city: string;
}

export const CONTACT_CHANNELS = ['email', 'sms', 'phone', 'messenger'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const COMPLAINT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ComplaintSeverity = (typeof COMPLAINT_SEVERITIES)[number];
export const DIRECTIONS = ['inbound', 'outbound'] as const;
/** When, relative to the trip, what a complaint or survey answer is about happened (issue 19). */
export const TRIP_PHASES = ['pre-trip', 'during', 'post-trip'] as const;
export type TripPhase = (typeof TRIP_PHASES)[number];

/**
 * Where a complaint or survey answer points (schema version 2, issue 19): the department responsible (a short label
 * the company chooses, e.g. transfers, hotel-contracting) and the trip phase. Both optional; absent in version 1.
 */
export interface FeedbackCause {
  department?: string;
  phase?: TripPhase;
}
export type Direction = (typeof DIRECTIONS)[number];

export interface CustomerProfile {
  name: string;
  email?: string;
  phone?: string;
  /** ISO 8601 calendar date, YYYY-MM-DD. */
  birthDate?: string;
  /** IANA time zone name, e.g. Europe/Berlin. */
  timeZone: string;
  language: string;
  preferredChannel: ContactChannel;
  tags: string[];
}

type Event<Type extends string, Data> = {
  type: Type;
  data: Data;
  /** ISO 8601 instant: when it happened in the world (not when it was stored). */
  occurredAt: string;
};

export type CustomerRegistered = Event<'CustomerRegistered', CustomerProfile & { customerId: string; marketingConsent: boolean }>;
export type CustomerProfileUpdated = Event<'CustomerProfileUpdated', Partial<CustomerProfile>>;
export type MarketingConsentChanged = Event<'MarketingConsentChanged', { granted: boolean }>;
export type TripBooked = Event<
  'TripBooked',
  {
    bookingId: string;
    destination: Destination;
    /** Calendar dates, YYYY-MM-DD. */
    departureDate: string;
    returnDate: string;
    amount: Money;
    travellers: number;
    productType: string;
    channel: string;
  }
>;
export type BookingAmended = Event<'BookingAmended', { bookingId: string; departureDate?: string; returnDate?: string; amount?: Money }>;
export type BookingCancelled = Event<'BookingCancelled', { bookingId: string; reason: string; refund?: Money }>;
export type TripDeparted = Event<'TripDeparted', { bookingId: string }>;
export type TripReturned = Event<'TripReturned', { bookingId: string }>;
export type ComplaintFiled = Event<
  'ComplaintFiled',
  { complaintId: string; bookingId?: string; category: string; severity: ComplaintSeverity; channel: string; description: string } & FeedbackCause
>;
export type ComplaintAcknowledged = Event<'ComplaintAcknowledged', { complaintId: string; note?: string }>;
export type ComplaintResolved = Event<'ComplaintResolved', { complaintId: string; resolution: string; compensation?: Money }>;
export type SurveyAnswered = Event<'SurveyAnswered', { surveyId: string; bookingId?: string; nps: number; comment?: string } & FeedbackCause>;
export type InteractionLogged = Event<
  'InteractionLogged',
  { interactionId: string; channel: string; direction: Direction; topic: string; summary: string }
>;

/** Someone (the actor in the metadata) made a scheduled contact; the schedule shows it as done with this outcome. */
/**
 * done, no-answer, skipped: a person made (or did not make) the contact. sent, delivered, failed, opted-out: a sending
 * gateway's report on a campaign message (issue 18). Added values only, so every stored event still reads as it
 * was: no new schema version, no upcaster.
 */
export const TOUCHPOINT_OUTCOMES = ['done', 'no-answer', 'skipped', 'sent', 'delivered', 'failed', 'opted-out'] as const;
export type TouchpointOutcome = (typeof TOUCHPOINT_OUTCOMES)[number];
export type TouchpointCompleted = Event<'TouchpointCompleted', { touchpointId: string; outcome: TouchpointOutcome; note?: string }>;

/** A person (the actor in the metadata) made the customer a VIP, or took it back; always with a reason. */
export type VipStatusGranted = Event<'VipStatusGranted', { reason: string }>;
export type VipStatusRevoked = Event<'VipStatusRevoked', { reason: string }>;

/**
 * The customer was forgotten (right to erasure): their data key is destroyed with it, so from then on every personal
 * field of their events reads as erased (personal-data.ts). The reason is about the erasure, not about the person,
 * and stays readable for auditors; it must not quote personal data.
 */
export type CustomerForgotten = Event<'CustomerForgotten', { reason: string }>;

/**
 * In the customer's stream (issue 18): the customer entered a campaign's audience and was put in an arm by the keyed
 * hash (libs/campaigns). occurredAt is the assignment instant. The treated arm gets a `campaign` touchpoint from it;
 * the control arm gets nothing, and this event is the record of that. Channel, content hints and send window
 * (ISO 8601 instants) are copied from the definition at that instant, so the touchpoint never reads another stream.
 * A customer who withdraws consent or is forgotten later is dropped at read time, from those events. The campaign's
 * own events are in campaign.events.ts (which imports this file, not the other way round).
 */
export type CampaignArmAssigned = Event<
  'CampaignArmAssigned',
  { campaignId: string; arm: 'treatment' | 'control'; channel: ContactChannel; contentHints: string[]; sendWindow: { from: string; until: string } }
>;

export type CustomerEvent =
  | CustomerRegistered
  | CustomerProfileUpdated
  | MarketingConsentChanged
  | TripBooked
  | BookingAmended
  | BookingCancelled
  | TripDeparted
  | TripReturned
  | ComplaintFiled
  | ComplaintAcknowledged
  | ComplaintResolved
  | SurveyAnswered
  | InteractionLogged
  | VipStatusGranted
  | VipStatusRevoked
  | TouchpointCompleted
  | CustomerForgotten
  | CampaignArmAssigned;

export type CustomerEventType = CustomerEvent['type'];

export const CUSTOMER_EVENT_TYPES: readonly CustomerEventType[] = [
  'CustomerRegistered',
  'CustomerProfileUpdated',
  'MarketingConsentChanged',
  'TripBooked',
  'BookingAmended',
  'BookingCancelled',
  'TripDeparted',
  'TripReturned',
  'ComplaintFiled',
  'ComplaintAcknowledged',
  'ComplaintResolved',
  'SurveyAnswered',
  'InteractionLogged',
  'VipStatusGranted',
  'VipStatusRevoked',
  'TouchpointCompleted',
  'CustomerForgotten',
  'CampaignArmAssigned',
];

/** The event stream that holds everything about one customer (DESIGN section 3). */
export const customerStreamId = (customerId: string): string => `customer-${customerId}`;
export const CUSTOMER_STREAM_PREFIX = 'customer-';
