import { arrayMaxSize, eachMaxLength, eachString, isArray, isBoolean, oneOf, text, type CommandRules, type Property, type Shape } from './command-shape';
import { CONTACT_CHANNELS } from './customer.events';
import { InvalidInput } from './domain.errors';
import { LIMITS } from './limits';
import * as v from './validation';

/** The profile fields, in the order the API has always listed their errors. */
export const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'timeZone', 'language', 'preferredChannel', 'tags'] as const;

const tags: Property = { optional: true, checks: [isArray, arrayMaxSize(LIMITS.tags), eachString, eachMaxLength(LIMITS.label)] };

/** Checks the profile fields present in `data`; `required` ones must be present. */
const checkProfile = (data: Record<string, unknown>, occurredAt: string, required: boolean): void => {
  if (required || data.name !== undefined) v.checkNonEmptyString('name', data.name);
  if (data.email !== undefined) v.checkEmail('email', data.email);
  if (data.phone !== undefined) v.checkPhone('phone', data.phone);
  if (data.birthDate !== undefined) {
    v.checkIsoDate('birthDate', data.birthDate);
    if (data.birthDate > v.localDateOf(occurredAt)) throw new InvalidInput('birthDate', 'must not be in the future');
  }
  if (required || data.timeZone !== undefined) v.checkTimeZone('timeZone', data.timeZone);
  if (required || data.language !== undefined) v.checkLanguage('language', data.language);
  if (required || data.preferredChannel !== undefined) v.checkOneOf('preferredChannel', data.preferredChannel, CONTACT_CHANNELS);
  if (data.tags !== undefined) v.checkTags('tags', data.tags);
};

export const registerCustomer: CommandRules = {
  shape: {
    name: text({ nonEmpty: true, max: LIMITS.name }),
    email: text({ optional: true, max: LIMITS.email }),
    phone: text({ optional: true, max: LIMITS.phone }),
    birthDate: text({ optional: true }),
    timeZone: text({ max: LIMITS.timeZone }),
    language: text({ max: LIMITS.language }),
    preferredChannel: { checks: [oneOf(CONTACT_CHANNELS)] },
    marketingConsent: { checks: [isBoolean] },
    tags,
  },
  check(data, occurredAt) {
    checkProfile(data, occurredAt, true);
  },
};

const optionalProfile: Shape = {
  name: text({ optional: true, nonEmpty: true, max: LIMITS.name }),
  email: text({ optional: true, max: LIMITS.email }),
  phone: text({ optional: true, max: LIMITS.phone }),
  birthDate: text({ optional: true }),
  timeZone: text({ optional: true, max: LIMITS.timeZone }),
  language: text({ optional: true, max: LIMITS.language }),
  preferredChannel: { optional: true, checks: [oneOf(CONTACT_CHANNELS)] },
  marketingConsent: { optional: true, checks: [isBoolean] },
  tags,
};

export const updateCustomerProfile: CommandRules = {
  shape: optionalProfile,
  check(data, occurredAt) {
    if (PROFILE_FIELDS.every((f) => data[f] === undefined) && data.marketingConsent === undefined) {
      throw new InvalidInput('body', 'must change at least one profile field');
    }
    checkProfile(data, occurredAt, false);
    if (data.marketingConsent !== undefined) v.checkBoolean('marketingConsent', data.marketingConsent);
  },
};

export const forgetCustomer: CommandRules = {
  shape: { reason: text({ nonEmpty: true, max: LIMITS.text }) },
  check(data) {
    v.checkNonEmptyString('reason', data.reason);
  },
};
