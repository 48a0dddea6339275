import type * as C from './customer.commands';
import type { CustomerEvent, CustomerProfile } from './customer.events';
import { PROFILE_FIELDS } from './customer-profile.parse';
import { refuseForgotten, requireRegistered } from './customer.guards';
import type { CustomerState } from './customer.state';
import { RuleViolated } from './domain.errors';
import { canonicalTimeZone } from './validation';

type ProfileField = (typeof PROFILE_FIELDS)[number];

const sameValue = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

export const registerCustomer = (cmd: C.RegisterCustomer, state: CustomerState): CustomerEvent[] => {
  refuseForgotten(state, cmd.customerId);
  if (state.status !== 'unknown') {
    throw new RuleViolated('customer.already-registered', `customer ${cmd.customerId} is already registered`);
  }
  const d = cmd.data;
  const profile: CustomerProfile = {
    name: d.name,
    ...(d.email !== undefined && { email: d.email }),
    ...(d.phone !== undefined && { phone: d.phone }),
    ...(d.birthDate !== undefined && { birthDate: d.birthDate }),
    timeZone: canonicalTimeZone(d.timeZone),
    language: d.language,
    preferredChannel: d.preferredChannel,
    tags: [...(d.tags ?? [])],
  };
  return [{ type: 'CustomerRegistered', data: { customerId: cmd.customerId, ...profile, marketingConsent: d.marketingConsent }, occurredAt: cmd.occurredAt }];
};

/** Only what differs from the profile is recorded; a patch that changes nothing is a no-op, so retries are safe. */
export const updateProfile = (cmd: C.UpdateCustomerProfile, state: CustomerState): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  const data = cmd.data as Record<string, unknown>;
  const changed: Partial<Record<ProfileField, unknown>> = {};
  for (const f of PROFILE_FIELDS) {
    if (data[f] === undefined) continue;
    const value = f === 'timeZone' ? canonicalTimeZone(data[f] as string) : data[f];
    if (!sameValue(value, customer.profile[f])) changed[f] = f === 'tags' ? [...(value as string[])] : value;
  }
  const events: CustomerEvent[] = [];
  if (Object.keys(changed).length > 0) {
    events.push({ type: 'CustomerProfileUpdated', data: changed as Partial<CustomerProfile>, occurredAt: cmd.occurredAt });
  }
  const consent = cmd.data.marketingConsent;
  if (consent !== undefined && consent !== customer.marketingConsent) {
    events.push({ type: 'MarketingConsentChanged', data: { granted: consent }, occurredAt: cmd.occurredAt });
  }
  return events;
};
