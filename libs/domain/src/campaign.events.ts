import type { CampaignArmAssigned, ContactChannel, Money } from './customer.events';

/*
 * Campaigns (issue 18): each in its own stream `campaign-<campaignId>`, defined, launched, paused, resumed, ended.
 * Who is in which arm is recorded in the customer's own stream (CampaignArmAssigned), so every read model stays
 * partitioned by customer and a customer's history shows the campaigns that reached them, or held them out.
 */

export const CAMPAIGN_STREAM_PREFIX = 'campaign-';
export const campaignStreamId = (campaignId: string): string => `${CAMPAIGN_STREAM_PREFIX}${campaignId}`;

export const SEGMENT_MATCHES = ['any', 'all'] as const;
export type SegmentMatch = (typeof SEGMENT_MATCHES)[number];
export const CAMPAIGN_ARMS = ['treatment', 'control'] as const;
export type CampaignArm = CampaignArmAssigned['data']['arm'];
export const CAMPAIGN_GOAL_KINDS = ['booking', 'booking-above', 'survey-answer'] as const;
export const CAMPAIGN_STATUSES = ['defined', 'running', 'paused', 'ended'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
/** Holdout shares above a half would leave the treated arm smaller than the control: refused. */
export const MAX_HOLDOUT_SHARE = 0.5;
export const MAX_CONVERSION_WINDOW_DAYS = 365;

/** Trip-history filters: a customer matches when every filter given holds for their bookings (not cancelled). */
export interface CampaignTripFilter {
  /** Booked one of these product types (e.g. flight, package). */
  productTypes?: string[];
  /** ISO 3166-1 alpha-2 country codes of the destination. */
  destinations?: string[];
  /** Sales channels the booking came through. */
  channels?: string[];
  /** Only bookings made in the last N months before the evaluation instant count. */
  withinMonths?: number;
  /** At least this many matching bookings. */
  minTrips?: number;
  /** At least this much spent on matching bookings, in minor units of `currency` (bookings in other currencies do not count). */
  minSpend?: Money;
}

export interface CampaignAudience {
  /** Segment keys as the segments API names them ('lifecycle:lapsed', 'vip:vip'); `any` of them or `all` of them. */
  segments?: { match: SegmentMatch; keys: string[] };
  trips?: CampaignTripFilter;
  /** Default true: only customers who granted marketing consent. */
  requireMarketingConsent: boolean;
}

export type CampaignGoal = { kind: 'booking' } | { kind: 'booking-above'; amount: Money } | { kind: 'survey-answer' };

/** ISO 8601 instants; sends happen from `from` until `until`. */
export interface SendWindow {
  from: string;
  until: string;
}

export interface CampaignDefinition {
  name: string;
  audience: CampaignAudience;
  channel: ContactChannel;
  contentHints: string[];
  sendWindow: SendWindow;
  /** The share held out as control, 0 to 0.5. */
  holdoutShare: number;
  goal: CampaignGoal;
  /** A conversion counts when it happens within this many days of the assignment (1 to 365). */
  conversionWindowDays: number;
}

type Event<Type extends string, Data> = {
  type: Type;
  data: Data;
  /** ISO 8601 instant: when it happened in the world (not when it was stored). */
  occurredAt: string;
};

export type CampaignDefined = Event<'CampaignDefined', { campaignId: string } & CampaignDefinition>;
/** Only the fields that changed; holdoutShare only before launch. */
export type CampaignDefinitionChanged = Event<'CampaignDefinitionChanged', { campaignId: string } & Partial<CampaignDefinition>>;
/** `assignmentKey` (hex) keys the hash that splits the audience into arms, so every assignment can be recomputed. */
export type CampaignLaunched = Event<'CampaignLaunched', { campaignId: string; assignmentKey: string }>;
export type CampaignPaused = Event<'CampaignPaused', { campaignId: string }>;
export type CampaignResumed = Event<'CampaignResumed', { campaignId: string }>;
export type CampaignEnded = Event<'CampaignEnded', { campaignId: string }>;

export type CampaignEvent = CampaignDefined | CampaignDefinitionChanged | CampaignLaunched | CampaignPaused | CampaignResumed | CampaignEnded;
export type CampaignEventType = CampaignEvent['type'];

export const CAMPAIGN_EVENT_TYPES: readonly CampaignEventType[] = [
  'CampaignDefined',
  'CampaignDefinitionChanged',
  'CampaignLaunched',
  'CampaignPaused',
  'CampaignResumed',
  'CampaignEnded',
];

/** Defined beside the other customer events (customer.events.ts), where its stream's union needs it. */
export type { CampaignArmAssigned } from './customer.events';
