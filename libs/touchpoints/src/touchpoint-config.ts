import { Checker, ConfigFileError, isObject, mergeConfig, readJsonConfig } from '../../config/src';
import { TOUCHPOINT_KINDS, URGENT_KINDS, type TouchpointKind } from './touchpoint';
import { isLocalTime } from './zoned-time';

/** What every rule has: `sendTime` (local 'HH:MM', default the config's) only on the kinds due on a local day. */
export interface RuleBase {
  enabled: boolean;
  /** Hints for whoever makes the contact, first on every row of the kind. */
  contentHints: string[];
  /** Add the hints of the customer's interest tags (`interestHints`) after the rule's own. */
  interestHints: boolean;
  sendTime?: string;
  /**
   * The share (0 to 0.5) of this kind's touchpoints held out as a control group: status 'held-out', never made, so
   * what the touchpoint changes is measured (repeat bookings, next NPS). Absent: 0. Not for urgent kinds (a service
   * owed) nor `campaign` (a campaign holds out its own control group).
   */
  holdoutShare?: number;
}

/** The anchor and offset of each kind, named with their units. */
export interface TouchpointRules {
  'destination-guide': RuleBase & { daysBeforeDeparture: number };
  'departure-reminder': RuleBase & { daysBeforeDeparture: number };
  'arrival-check-in': RuleBase & { daysAfterDeparture: number };
  /** On departure + floor(nights / 2) of trips of at least `minNights` nights. */
  'mid-trip-check-in': RuleBase & { minNights: number };
  'welcome-home-call': RuleBase & { daysAfterReturn: number };
  'nps-survey': RuleBase & { daysAfterReturn: number };
  'trip-memories': RuleBase & { daysAfterReturn: number };
  'next-trip-idea': RuleBase & { daysAfterReturn: number };
  'complaint-acknowledgement': RuleBase & { hoursAfterFiling: number };
  'complaint-resolution': RuleBase & { hoursAfterFiling: number };
  /** Due at once; a notice due later than this many hours before departure (00:00 local) says it is late. */
  'risk-notice': RuleBase & { hoursBeforeDeparture: number };
  /** Birthdays are scheduled up to this many calendar months after the customer's latest fact. */
  'birthday-greeting': RuleBase & { horizonMonths: number };
  'first-trip-anniversary': RuleBase & { yearsAfterDeparture: number };
  'win-back-offer': RuleBase & { monthsWithoutTrip: number };
  'cancellation-follow-up': RuleBase & { daysAfterCancellation: number };
  /** One per treated campaign assignment, due when the campaign's send window opens (or at the assignment, if later). */
  campaign: RuleBase;
}

export interface TouchpointConfig {
  version: string;
  /** Local 'HH:MM' at which day-based touchpoints are due. */
  sendTime: string;
  /** Local window [start, end) in which non-urgent touchpoints are not due (crossing midnight when start > end; none when equal). */
  quietHours: { start: string; end: string };
  /** Kinds that need marketing consent and count against the frequency cap. */
  marketingKinds: TouchpointKind[];
  /** Marketing touchpoints per customer: at most `perDay` on a local calendar day and `perWindow` in any `windowDays` consecutive local days. */
  frequencyCap: { perDay: number; perWindow: number; windowDays: number };
  /** Content hints by interest tag, in this order on a row. */
  interestHints: Record<string, string[]>;
  /**
   * The key of the hash that picks held-out touchpoints: sha256(key|kind|customer|reference). Changing it reshuffles
   * every kind's control group (and needs a rebuild of touchpoints, like any config change).
   */
  holdoutKey: string;
  rules: TouchpointRules;
}

const rule = (contentHints: string[], interestHints = false): RuleBase => ({ enabled: true, contentHints, interestHints });

export const DEFAULT_TOUCHPOINT_CONFIG: TouchpointConfig = {
  version: 'default-1',
  sendTime: '10:00',
  quietHours: { start: '21:00', end: '09:00' },
  marketingKinds: ['trip-memories', 'next-trip-idea', 'win-back-offer', 'birthday-greeting', 'campaign'],
  frequencyCap: { perDay: 1, perWindow: 3, windowDays: 7 },
  interestHints: {
    family: ['child-friendly activities', 'child-friendly restaurants'],
    photography: ['sunrise spots'],
    culture: ['history notes'],
    beach: ['quiet beaches'],
    food: ['local food markets'],
    adventure: ['outdoor excursions'],
    wellness: ['spa and wellness'],
  },
  holdoutKey: 'touchpoint-holdouts-1',
  rules: {
    'destination-guide': { ...rule(['destination guide'], true), daysBeforeDeparture: 14 },
    'departure-reminder': { ...rule(['documents', 'weather', 'transfer']), daysBeforeDeparture: 3 },
    'arrival-check-in': { ...rule(['arrival and accommodation']), daysAfterDeparture: 1 },
    'mid-trip-check-in': { ...rule(['how the trip is going']), minNights: 7 },
    'welcome-home-call': { ...rule(['welcome home']), daysAfterReturn: 1 },
    'nps-survey': { ...rule(['NPS survey']), daysAfterReturn: 3 },
    'trip-memories': { ...rule(['photo album']), daysAfterReturn: 14 },
    'next-trip-idea': { ...rule(['next trip idea'], true), daysAfterReturn: 30 },
    'complaint-acknowledgement': { ...rule(['acknowledge the complaint']), hoursAfterFiling: 1 },
    'complaint-resolution': { ...rule(['resolve the complaint']), hoursAfterFiling: 24 },
    'risk-notice': { ...rule(['rebooking offered']), hoursBeforeDeparture: 48 },
    'birthday-greeting': { ...rule(['birthday greeting']), horizonMonths: 12 },
    'first-trip-anniversary': { ...rule(['first trip anniversary']), yearsAfterDeparture: 1 },
    'win-back-offer': { ...rule(['win-back offer']), monthsWithoutTrip: 18 },
    'cancellation-follow-up': { ...rule(['reason for cancelling', 'rebooking options']), daysAfterCancellation: 1 },
    campaign: rule([]),
  },
};

/** Kinds that can hold out a control group of their own. */
export const canHoldOut = (kind: TouchpointKind): boolean => kind !== 'campaign' && !URGENT_KINDS.includes(kind);
export const MAX_TOUCHPOINT_HOLDOUT_SHARE = 0.5;

/** Each kind's own parameters and their bounds. */
const PARAMETERS: Record<TouchpointKind, Record<string, { min: number; max: number; integer: boolean }>> = {
  'destination-guide': { daysBeforeDeparture: { min: 0, max: 366, integer: true } },
  'departure-reminder': { daysBeforeDeparture: { min: 0, max: 366, integer: true } },
  'arrival-check-in': { daysAfterDeparture: { min: 0, max: 30, integer: true } },
  'mid-trip-check-in': { minNights: { min: 2, max: 366, integer: true } },
  'welcome-home-call': { daysAfterReturn: { min: 0, max: 366, integer: true } },
  'nps-survey': { daysAfterReturn: { min: 0, max: 366, integer: true } },
  'trip-memories': { daysAfterReturn: { min: 0, max: 366, integer: true } },
  'next-trip-idea': { daysAfterReturn: { min: 0, max: 366, integer: true } },
  'complaint-acknowledgement': { hoursAfterFiling: { min: 0, max: 720, integer: false } },
  'complaint-resolution': { hoursAfterFiling: { min: 0, max: 720, integer: false } },
  'risk-notice': { hoursBeforeDeparture: { min: 0, max: 720, integer: false } },
  'birthday-greeting': { horizonMonths: { min: 1, max: 120, integer: true } },
  'first-trip-anniversary': { yearsAfterDeparture: { min: 1, max: 50, integer: true } },
  'win-back-offer': { monthsWithoutTrip: { min: 1, max: 120, integer: true } },
  'cancellation-follow-up': { daysAfterCancellation: { min: 0, max: 366, integer: true } },
  campaign: {},
};

const time = (check: Checker, path: string, value: unknown): void => {
  if (!isLocalTime(value)) check.fail(path, `must be a local time HH:MM (got ${JSON.stringify(value)})`);
};

/** The defaults merged with an override (a parsed JSON file), checked; throws naming every wrong entry. */
export function touchpointConfig(override: unknown = {}, source = 'touchpoint config'): TouchpointConfig {
  if (!isObject(override)) throw new ConfigFileError(`${source}: must be a JSON object`);
  const check = new Checker();
  check.keys('', override, Object.keys(DEFAULT_TOUCHPOINT_CONFIG));
  const config = structuredClone(mergeConfig(DEFAULT_TOUCHPOINT_CONFIG, override)) as TouchpointConfig;
  if (Object.keys(override).some((key) => key !== 'version') && override.version === undefined) {
    check.fail('version', 'a config that changes the defaults must name its version');
  }
  if (typeof config.version !== 'string' || !config.version.trim()) check.fail('version', 'must be a non-empty string');
  if (typeof config.holdoutKey !== 'string' || !config.holdoutKey.trim()) check.fail('holdoutKey', 'must be a non-empty string');
  time(check, 'sendTime', config.sendTime);
  if (check.keys('quietHours', config.quietHours, ['start', 'end'])) {
    time(check, 'quietHours.start', config.quietHours.start);
    time(check, 'quietHours.end', config.quietHours.end);
  }
  if (!Array.isArray(config.marketingKinds)) check.fail('marketingKinds', 'must be a list of touchpoint kinds');
  else {
    config.marketingKinds.forEach((kind, index) => {
      if (!TOUCHPOINT_KINDS.includes(kind)) check.fail(`marketingKinds[${index}]`, `unknown kind ${JSON.stringify(kind)}`);
      else if (URGENT_KINDS.includes(kind)) check.fail(`marketingKinds[${index}]`, `${kind} is an urgent service touchpoint, it cannot need marketing consent`);
    });
  }
  if (check.keys('frequencyCap', config.frequencyCap, ['perDay', 'perWindow', 'windowDays'])) {
    check.number('frequencyCap.perDay', config.frequencyCap.perDay, { integer: true, min: 1 });
    check.number('frequencyCap.perWindow', config.frequencyCap.perWindow, { integer: true, min: 1 });
    check.number('frequencyCap.windowDays', config.frequencyCap.windowDays, { integer: true, min: 1, max: 366 });
  }
  if (check.keys('interestHints', config.interestHints, Object.keys(config.interestHints ?? {}))) {
    for (const [tag, hints] of Object.entries(config.interestHints)) check.strings(`interestHints.${tag}`, hints);
  }
  if (check.keys('rules', config.rules, TOUCHPOINT_KINDS, 'kind')) {
    for (const kind of TOUCHPOINT_KINDS) {
      const path = `rules.${kind}`;
      const given = config.rules[kind] as unknown as Record<string, unknown>;
      const own = Object.keys(PARAMETERS[kind]);
      const urgent = URGENT_KINDS.includes(kind);
      if (!check.keys(path, given, ['enabled', 'contentHints', 'interestHints', ...(urgent ? [] : ['sendTime']), ...(canHoldOut(kind) ? ['holdoutShare'] : []), ...own])) continue;
      if (typeof given.enabled !== 'boolean') check.fail(`${path}.enabled`, 'must be true or false');
      if (typeof given.interestHints !== 'boolean') check.fail(`${path}.interestHints`, 'must be true or false');
      check.strings(`${path}.contentHints`, given.contentHints);
      if (given.sendTime !== undefined && !urgent) time(check, `${path}.sendTime`, given.sendTime);
      for (const [name, bounds] of Object.entries(PARAMETERS[kind])) check.number(`${path}.${name}`, given[name], bounds);
      if (given.holdoutShare !== undefined) check.number(`${path}.holdoutShare`, given.holdoutShare, { min: 0, max: MAX_TOUCHPOINT_HOLDOUT_SHARE, integer: false });
    }
  }
  if (check.problems.length) throw new ConfigFileError(`${source} is invalid:\n  - ${check.problems.join('\n  - ')}`);
  return config;
}

/** TOUCHPOINTS_CONFIG names a JSON file; without it the defaults apply. */
export function loadTouchpointConfig(path: string | undefined): TouchpointConfig {
  return path ? touchpointConfig(readJsonConfig('TOUCHPOINTS_CONFIG', path), `TOUCHPOINTS_CONFIG=${path}`) : touchpointConfig();
}

/** Whether the local time falls in [start, end) of the quiet window (which crosses midnight when start > end). */
export function insideQuietHours(localTime: string, quiet: { start: string; end: string }): boolean {
  const { start, end } = quiet;
  if (start === end) return false;
  return start < end ? localTime >= start && localTime < end : localTime >= start || localTime < end;
}

/** The local send time of a day-based kind. */
export const sendTimeOf = (config: TouchpointConfig, kind: TouchpointKind): string => config.rules[kind].sendTime ?? config.sendTime;
