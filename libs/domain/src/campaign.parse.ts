import type { ChangeCampaignDefinition, DefineCampaign } from './campaign.commands';
import {
  CAMPAIGN_GOAL_KINDS,
  MAX_CONVERSION_WINDOW_DAYS,
  MAX_HOLDOUT_SHARE,
  SEGMENT_MATCHES,
  type CampaignAudience,
  type CampaignDefinition,
  type CampaignGoal,
  type CampaignTripFilter,
} from './campaign.events';
import {
  arrayMaxSize,
  eachMaxLength,
  eachString,
  isArray,
  isBoolean,
  isInt,
  iso8601,
  max,
  min,
  nonEmptyObject,
  oneOf,
  parseShaped,
  text,
  type Parsed,
  type Property,
  type Shape,
} from './command-shape';
import { CONTACT_CHANNELS } from './customer.events';
import { InvalidInput } from './domain.errors';
import { LIMITS } from './limits';
import * as v from './validation';

/** The range of every campaign field (OpenAPI documents them from here). */
export const CAMPAIGN_LIMITS = {
  name: LIMITS.name,
  /** Content hints: short instructions for whoever writes the message ("mention the Lisbon fares"). */
  contentHints: 20,
  contentHint: 500,
  /** Segment keys, product types, destinations, channels: per list. */
  listItems: 50,
  label: LIMITS.label,
  /** 50 years of trip history. */
  maxWithinMonths: 600,
  maxMinTrips: 1000,
} as const;

const list = (optional = false): Property => ({
  optional,
  checks: [isArray, arrayMaxSize(CAMPAIGN_LIMITS.listItems), eachString, eachMaxLength(CAMPAIGN_LIMITS.label)],
});
const integer = (least: number, most: number, optional = false): Property => ({ optional, checks: [isInt, min(least), max(most)] });
const MONEY: Shape = { value: { checks: [isInt, min(0), max(LIMITS.maxMinorUnits)] }, currency: text() };

const AUDIENCE: Shape = {
  segments: { optional: true, checks: [nonEmptyObject], nested: { match: { checks: [oneOf(SEGMENT_MATCHES)] }, keys: list() } },
  trips: {
    optional: true,
    checks: [nonEmptyObject],
    nested: {
      productTypes: list(true),
      destinations: list(true),
      channels: list(true),
      withinMonths: integer(1, CAMPAIGN_LIMITS.maxWithinMonths, true),
      minTrips: integer(1, CAMPAIGN_LIMITS.maxMinTrips, true),
      minSpend: { optional: true, checks: [nonEmptyObject], nested: MONEY },
    },
  },
  requireMarketingConsent: { optional: true, checks: [isBoolean] },
};

const holdout: Property = { checks: [(value, p) => (typeof value === 'number' && Number.isFinite(value) ? undefined : `${p} must be a number`), min(0), max(MAX_HOLDOUT_SHARE)] };

/** Every field of a definition; a change makes each optional. */
const DEFINITION: Shape = {
  name: text({ nonEmpty: true, max: CAMPAIGN_LIMITS.name }),
  audience: { optional: true, checks: [nonEmptyObject], nested: AUDIENCE },
  channel: { checks: [oneOf(CONTACT_CHANNELS)] },
  contentHints: { optional: true, checks: [isArray, arrayMaxSize(CAMPAIGN_LIMITS.contentHints), eachString, eachMaxLength(CAMPAIGN_LIMITS.contentHint)] },
  sendWindow: { checks: [nonEmptyObject], nested: { from: { checks: [iso8601] }, until: { checks: [iso8601] } } },
  holdoutShare: holdout,
  goal: { checks: [nonEmptyObject], nested: { kind: { checks: [oneOf(CAMPAIGN_GOAL_KINDS)] }, amount: { optional: true, checks: [nonEmptyObject], nested: MONEY } } },
  conversionWindowDays: integer(1, MAX_CONVERSION_WINDOW_DAYS),
};

const DEFINE_SHAPE: Shape = { campaignId: text({ optional: true }), ...DEFINITION };
const CHANGE_SHAPE: Shape = Object.fromEntries(Object.entries(DEFINITION).map(([field, property]) => [field, { ...property, optional: true }]));

const nonEmptyList = (field: string, values: unknown): string[] => {
  const items = values as string[];
  if (!items.length) throw new InvalidInput(field, 'must name at least one value');
  items.forEach((item, i) => v.checkNonEmptyString(`${field}.${i}`, item));
  return [...new Set(items)];
};

function audienceOf(body: Record<string, unknown> | undefined): CampaignAudience {
  const requireMarketingConsent = (body?.requireMarketingConsent as boolean | undefined) ?? true;
  if (!body) return { requireMarketingConsent };
  const segments = body.segments as Record<string, unknown> | undefined;
  const trips = body.trips as Record<string, unknown> | undefined;
  let tripFilter: CampaignTripFilter | undefined;
  if (trips) {
    tripFilter = {};
    if (trips.productTypes !== undefined) tripFilter.productTypes = nonEmptyList('audience.trips.productTypes', trips.productTypes);
    if (trips.destinations !== undefined) {
      tripFilter.destinations = nonEmptyList('audience.trips.destinations', trips.destinations);
      tripFilter.destinations.forEach((country, i) => v.checkCountry(`audience.trips.destinations.${i}`, country));
    }
    if (trips.channels !== undefined) tripFilter.channels = nonEmptyList('audience.trips.channels', trips.channels);
    if (trips.withinMonths !== undefined) tripFilter.withinMonths = trips.withinMonths as number;
    if (trips.minTrips !== undefined) tripFilter.minTrips = trips.minTrips as number;
    if (trips.minSpend !== undefined) {
      v.checkMoney('audience.trips.minSpend', trips.minSpend);
      tripFilter.minSpend = { value: trips.minSpend.value, currency: trips.minSpend.currency };
    }
    if (!Object.keys(tripFilter).length) throw new InvalidInput('audience.trips', 'must name at least one filter');
  }
  const audience: CampaignAudience = {
    ...(segments && { segments: { match: segments.match as 'any' | 'all', keys: nonEmptyList('audience.segments.keys', segments.keys) } }),
    ...(tripFilter && { trips: tripFilter }),
    requireMarketingConsent,
  };
  return audience;
}

function goalOf(body: Record<string, unknown>): CampaignGoal {
  const kind = body.kind as CampaignGoal['kind'];
  if (kind === 'booking-above') {
    if (body.amount === undefined) throw new InvalidInput('goal.amount', 'is required for the goal booking-above');
    v.checkMoney('goal.amount', body.amount);
    return { kind, amount: { value: body.amount.value, currency: body.amount.currency } };
  }
  if (body.amount !== undefined) throw new InvalidInput('goal.amount', `is only for the goal booking-above, not ${kind}`);
  return { kind };
}

function sendWindowOf(body: Record<string, unknown>): CampaignDefinition['sendWindow'] {
  v.checkIsoInstant('sendWindow.from', body.from);
  v.checkIsoInstant('sendWindow.until', body.until);
  const from = new Date(body.from).toISOString();
  const until = new Date(body.until).toISOString();
  if (until <= from) throw new InvalidInput('sendWindow.until', `must be after sendWindow.from (${from})`);
  return { from, until };
}

/** The fields of a definition present in `body`, in their stored shape (shape already checked). */
function definitionFields(body: Record<string, unknown>): Partial<CampaignDefinition> {
  const fields: Partial<CampaignDefinition> = {};
  if (body.name !== undefined) {
    v.checkNonEmptyString('name', body.name);
    fields.name = body.name.trim();
  }
  if (body.audience !== undefined) fields.audience = audienceOf(body.audience as Record<string, unknown>);
  if (body.channel !== undefined) fields.channel = body.channel as CampaignDefinition['channel'];
  if (body.contentHints !== undefined) fields.contentHints = (body.contentHints as string[]).map((hint, i) => (v.checkNonEmptyString(`contentHints.${i}`, hint), hint));
  if (body.sendWindow !== undefined) fields.sendWindow = sendWindowOf(body.sendWindow as Record<string, unknown>);
  if (body.holdoutShare !== undefined) fields.holdoutShare = body.holdoutShare as number;
  if (body.goal !== undefined) fields.goal = goalOf(body.goal as Record<string, unknown>);
  if (body.conversionWindowDays !== undefined) fields.conversionWindowDays = body.conversionWindowDays as number;
  return fields;
}

/**
 * A request body becomes DefineCampaign here: the shape (every broken rule listed), then the formats (the first
 * field at fault). The audience may be left out (a draft): the launch then refuses it (campaign.audience-required).
 */
export const parseDefineCampaign = (body: unknown, defaults: { campaignId: string; occurredAt: string }): Parsed<DefineCampaign> =>
  parseShaped(DEFINE_SHAPE, body, (fields) => {
    const campaignId = (fields.campaignId as string | undefined) ?? defaults.campaignId;
    v.checkId('campaignId', campaignId);
    const definition = definitionFields(fields);
    return {
      type: 'DefineCampaign',
      data: {
        campaignId,
        name: definition.name!,
        audience: definition.audience ?? audienceOf(undefined),
        channel: definition.channel!,
        contentHints: definition.contentHints ?? [],
        sendWindow: definition.sendWindow!,
        holdoutShare: definition.holdoutShare!,
        goal: definition.goal!,
        conversionWindowDays: definition.conversionWindowDays!,
      },
      occurredAt: defaults.occurredAt,
    };
  });

/** PATCH /campaigns/:id: any fields of a definition, at least one. */
export const parseChangeCampaignDefinition = (campaignId: string, body: unknown, occurredAt: string): Parsed<ChangeCampaignDefinition> =>
  parseShaped(CHANGE_SHAPE, body, (fields) => {
    const changes = definitionFields(fields);
    if (!Object.keys(changes).length) throw new InvalidInput('body', `must change at least one of ${Object.keys(DEFINITION).join(', ')}`);
    return { type: 'ChangeCampaignDefinition', data: { campaignId, ...changes }, occurredAt };
  });
