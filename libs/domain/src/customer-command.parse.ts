import { iso8601, parseShaped, shapeErrors, type CommandRules, type Parsed, type Shape } from './command-shape';
import { amendBooking, bookingEvent, bookTrip, cancelBooking } from './customer-booking.parse';
import { acknowledgeComplaint, answerSurvey, completeTouchpoint, fileComplaint, logInteraction, resolveComplaint, vipReason } from './customer-care.parse';
import { forgetCustomer, registerCustomer, updateCustomerProfile } from './customer-profile.parse';
import type { CustomerCommand, CustomerCommandType, ForgetCustomer } from './customer.commands';
import { InvalidInput } from './domain.errors';
import * as v from './validation';

/*
 * Untrusted input (an HTTP request, an import line) becomes a typed command here, once: the API and the import call
 * the same function, and decide takes only what it returns. The order of the checks is the order the API has
 * always answered in: the body's shape (every broken rule listed), then the customer id, the ids from the path,
 * occurredAt, then the formats of the body (the first field at fault). A format never repeats what the shape holds
 * (an NPS from 0 to 10, an allowed severity): it adds what the shape cannot say (blank text, a NUL, an IANA zone).
 */

const RULES: Record<CustomerCommandType, CommandRules> = {
  RegisterCustomer: registerCustomer,
  UpdateCustomerProfile: updateCustomerProfile,
  BookTrip: bookTrip,
  AmendBooking: amendBooking,
  CancelBooking: cancelBooking,
  RecordDeparture: bookingEvent,
  RecordReturn: bookingEvent,
  FileComplaint: fileComplaint,
  AcknowledgeComplaint: acknowledgeComplaint,
  ResolveComplaint: resolveComplaint,
  AnswerSurvey: answerSurvey,
  LogInteraction: logInteraction,
  GrantVipStatus: vipReason,
  RevokeVipStatus: vipReason,
  CompleteTouchpoint: completeTouchpoint,
};

export const CUSTOMER_COMMAND_TYPES = Object.keys(RULES) as CustomerCommandType[];
const TYPES = CUSTOMER_COMMAND_TYPES.join(', ');

export const isCustomerCommandType = (type: unknown): type is CustomerCommandType => typeof type === 'string' && Object.hasOwn(RULES, type);

/** The ids the API takes from the path for a command type (an import line carries them as fields). */
export const pathIdsOf = (type: CustomerCommandType): readonly string[] => RULES[type].pathIds ?? [];

export interface UntrustedCommand {
  type: unknown;
  customerId: unknown;
  /** The API fills in "now" when the request has none; an import requires it. */
  occurredAt: unknown;
  /** The request body without occurredAt (an import line without type, customerId, eventId, occurredAt and path ids). */
  body: unknown;
  /** The ids the API takes from the path, by name. */
  ids?: Readonly<Record<string, unknown>>;
}

export type { Parsed } from './command-shape';

const OCCURRED_AT: Shape = { occurredAt: { optional: true, checks: [iso8601] } };

const refuse = (error: InvalidInput): { ok: false; error: InvalidInput } => ({ ok: false, error });

function parseWith<C>(rules: CommandRules, type: string, input: UntrustedCommand): Parsed<C> {
  const { body, customerId, occurredAt, ids = {} } = input;
  const build = (fields: Record<string, unknown>): C => {
    v.checkId('customerId', customerId);
    const data: Record<string, unknown> = { ...fields };
    for (const field of rules.pathIds ?? []) {
      v.checkId(field, ids[field]);
      data[field] = ids[field];
    }
    v.checkIsoInstant('occurredAt', occurredAt);
    rules.check(data, occurredAt);
    return { type, customerId, data, occurredAt } as C;
  };
  return parseShaped(rules.shape, body, build, shapeErrors(OCCURRED_AT, { occurredAt }));
}

export function parseCustomerCommand(input: UntrustedCommand): Parsed<CustomerCommand> {
  if (!isCustomerCommandType(input.type)) return refuse(new InvalidInput('type', `must be one of ${TYPES}`));
  return parseWith(RULES[input.type], input.type, input);
}

/** ForgetCustomer is no CustomerCommand (only the forget use case issues it), but its input is parsed the same way. */
export const parseForgetCustomer = (input: Omit<UntrustedCommand, 'type' | 'ids'>): Parsed<ForgetCustomer> =>
  parseWith(forgetCustomer, 'ForgetCustomer', { ...input, type: 'ForgetCustomer' });
