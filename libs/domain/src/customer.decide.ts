import type * as C from './customer.commands';
import { COMPLAINT_SEVERITIES, CONTACT_CHANNELS, DIRECTIONS, TOUCHPOINT_OUTCOMES } from './customer.events';
import type { CustomerEvent, CustomerProfile, Money } from './customer.events';
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import { lookup } from './customer.state';
import type { BookingState, ComplaintState, CustomerState, RegisteredCustomer } from './customer.state';
import * as v from './validation';

/*
 * Order of checks in every branch: the command's own input first (InvalidInput, 400), then the
 * customer's existence (NotFound, 404), then rules that need the state (409, or 400 for a field
 * that is only wrong relative to the state, such as a refund above the booking amount).
 */

const PROFILE_FIELDS = ['name', 'email', 'phone', 'birthDate', 'timeZone', 'language', 'preferredChannel', 'tags'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

const RETURN_BEFORE_DEPARTURE = 'must not be before departureDate';

/** Validates the profile fields present in `data`; `required` ones must be present. */
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

const sameValue = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

const sameMoney = (a: Money, b: Money): boolean => a.value === b.value && a.currency === b.currency;

/** A forgotten customer is not unknown (the stream is there, and reads as erased): a conflict, never a 404. */
const refuseForgotten = (state: CustomerState, customerId: string): void => {
  if (state.status === 'forgotten') {
    throw new RuleViolated('customer.forgotten', `customer ${customerId} was forgotten at ${state.forgottenAt}: nothing more can be recorded about them`);
  }
};

const requireRegistered = (state: CustomerState, customerId: string): RegisteredCustomer => {
  refuseForgotten(state, customerId);
  if (state.status !== 'registered') throw new NotFound('customer', customerId);
  return state;
};

const requireBooking = (state: RegisteredCustomer, bookingId: string): BookingState => {
  const booking = lookup(state.bookings, bookingId);
  if (!booking) throw new NotFound('booking', bookingId);
  return booking;
};

const requireComplaint = (state: RegisteredCustomer, complaintId: string): ComplaintState => {
  const complaint = lookup(state.complaints, complaintId);
  if (!complaint) throw new NotFound('complaint', complaintId);
  return complaint;
};

const registerCustomer = (cmd: C.RegisterCustomer, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  checkProfile(data, cmd.occurredAt, true);
  v.checkBoolean('marketingConsent', data.marketingConsent);
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
    timeZone: v.canonicalTimeZone(d.timeZone),
    language: d.language,
    preferredChannel: d.preferredChannel,
    tags: [...(d.tags ?? [])],
  };
  return [{ type: 'CustomerRegistered', data: { customerId: cmd.customerId, ...profile, marketingConsent: d.marketingConsent }, occurredAt: cmd.occurredAt }];
};

const updateProfile = (cmd: C.UpdateCustomerProfile, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  const given = PROFILE_FIELDS.filter((f) => data[f] !== undefined);
  if (given.length === 0 && data.marketingConsent === undefined) {
    throw new InvalidInput('body', 'must change at least one profile field');
  }
  checkProfile(data, cmd.occurredAt, false);
  if (data.marketingConsent !== undefined) v.checkBoolean('marketingConsent', data.marketingConsent);
  const customer = requireRegistered(state, cmd.customerId);

  const changed: Partial<Record<ProfileField, unknown>> = {};
  for (const f of given) {
    const value = f === 'timeZone' ? v.canonicalTimeZone(data[f] as string) : data[f];
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

const bookTrip = (cmd: C.BookTrip, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('bookingId', data.bookingId);
  v.checkObject('destination', data.destination);
  v.checkCountry('destination.country', data.destination.country);
  v.checkNonEmptyString('destination.city', data.destination.city);
  v.checkIsoDate('departureDate', data.departureDate);
  v.checkIsoDate('returnDate', data.returnDate);
  if (data.returnDate < data.departureDate) throw new InvalidInput('returnDate', RETURN_BEFORE_DEPARTURE);
  v.checkMoney('amount', data.amount);
  v.checkPositiveInteger('travellers', data.travellers);
  v.checkNonEmptyString('productType', data.productType);
  v.checkNonEmptyString('channel', data.channel);
  const customer = requireRegistered(state, cmd.customerId);
  const d = cmd.data;
  if (lookup(customer.bookings, d.bookingId)) {
    throw new RuleViolated('booking.id-unique', `booking ${d.bookingId} already exists for this customer`);
  }
  const booked = {
    bookingId: d.bookingId,
    destination: { country: d.destination.country, city: d.destination.city },
    departureDate: d.departureDate,
    returnDate: d.returnDate,
    amount: { value: d.amount.value, currency: d.amount.currency },
    travellers: d.travellers,
    productType: d.productType,
    channel: d.channel,
  };
  return [{ type: 'TripBooked', data: booked, occurredAt: cmd.occurredAt }];
};

const amendBooking = (cmd: C.AmendBooking, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('bookingId', data.bookingId);
  if (data.departureDate === undefined && data.returnDate === undefined && data.amount === undefined) {
    throw new InvalidInput('body', 'must change at least one of departureDate, returnDate, amount');
  }
  if (data.departureDate !== undefined) v.checkIsoDate('departureDate', data.departureDate);
  if (data.returnDate !== undefined) v.checkIsoDate('returnDate', data.returnDate);
  if (data.amount !== undefined) v.checkMoney('amount', data.amount);
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  if (booking.status !== 'booked') {
    throw new RuleViolated('booking.not-amendable', `booking ${booking.bookingId} is ${booking.status} and can no longer be amended`);
  }
  const { departureDate, returnDate, amount } = cmd.data;
  if ((returnDate ?? booking.returnDate) < (departureDate ?? booking.departureDate)) {
    throw new InvalidInput('returnDate', RETURN_BEFORE_DEPARTURE);
  }
  // Only what actually changes is recorded; an amendment that changes nothing is a no-op, so retries are safe.
  const changes = {
    ...(departureDate !== undefined && departureDate !== booking.departureDate && { departureDate }),
    ...(returnDate !== undefined && returnDate !== booking.returnDate && { returnDate }),
    ...(amount !== undefined && !sameMoney(amount, booking.amount) && { amount: { value: amount.value, currency: amount.currency } }),
  };
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'BookingAmended', data: { bookingId: booking.bookingId, ...changes }, occurredAt: cmd.occurredAt }];
};

const cancelBooking = (cmd: C.CancelBooking, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('bookingId', data.bookingId);
  v.checkNonEmptyString('reason', data.reason);
  if (data.refund !== undefined) v.checkMoney('refund', data.refund);
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  const id = booking.bookingId;
  if (booking.status === 'cancelled') throw new RuleViolated('booking.already-cancelled', `booking ${id} is already cancelled`);
  if (booking.status === 'returned') throw new RuleViolated('booking.cancel-after-return', `booking ${id} has already returned`);
  if (booking.status === 'departed') throw new RuleViolated('booking.cancel-after-departure', `booking ${id} has already departed`);
  const { reason, refund } = cmd.data;
  if (refund !== undefined) {
    if (refund.currency !== booking.amount.currency) {
      throw new InvalidInput('refund.currency', `must equal the booking currency (${booking.amount.currency})`);
    }
    if (refund.value > booking.amount.value) throw new InvalidInput('refund.value', 'must not exceed the booking amount');
  }
  const cancelled = { bookingId: id, reason, ...(refund !== undefined && { refund: { value: refund.value, currency: refund.currency } }) };
  return [{ type: 'BookingCancelled', data: cancelled, occurredAt: cmd.occurredAt }];
};

const recordDeparture = (cmd: C.RecordDeparture, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('bookingId', data.bookingId);
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  const id = booking.bookingId;
  if (booking.status === 'cancelled') throw new RuleViolated('booking.departure-of-cancelled', `booking ${id} is cancelled`);
  if (booking.status !== 'booked') throw new RuleViolated('booking.already-departed', `booking ${id} has already departed`);
  return [{ type: 'TripDeparted', data: { bookingId: id }, occurredAt: cmd.occurredAt }];
};

const recordReturn = (cmd: C.RecordReturn, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('bookingId', data.bookingId);
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  const id = booking.bookingId;
  if (booking.status === 'cancelled') throw new RuleViolated('booking.return-of-cancelled', `booking ${id} is cancelled`);
  if (booking.status === 'booked') throw new RuleViolated('booking.return-before-departure', `booking ${id} has not departed yet`);
  if (booking.status === 'returned') throw new RuleViolated('booking.already-returned', `booking ${id} has already returned`);
  return [{ type: 'TripReturned', data: { bookingId: id }, occurredAt: cmd.occurredAt }];
};

const fileComplaint = (cmd: C.FileComplaint, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('complaintId', data.complaintId);
  if (data.bookingId !== undefined) v.checkId('bookingId', data.bookingId);
  v.checkNonEmptyString('category', data.category);
  v.checkOneOf('severity', data.severity, COMPLAINT_SEVERITIES);
  v.checkNonEmptyString('channel', data.channel);
  v.checkNonEmptyString('description', data.description);
  const customer = requireRegistered(state, cmd.customerId);
  const d = cmd.data;
  if (lookup(customer.complaints, d.complaintId)) {
    throw new RuleViolated('complaint.id-unique', `complaint ${d.complaintId} already exists for this customer`);
  }
  if (d.bookingId !== undefined) requireBooking(customer, d.bookingId);
  const filed = {
    complaintId: d.complaintId,
    ...(d.bookingId !== undefined && { bookingId: d.bookingId }),
    category: d.category,
    severity: d.severity,
    channel: d.channel,
    description: d.description,
  };
  return [{ type: 'ComplaintFiled', data: filed, occurredAt: cmd.occurredAt }];
};

const acknowledgeComplaint = (cmd: C.AcknowledgeComplaint, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('complaintId', data.complaintId);
  v.checkOptionalString('note', data.note);
  const complaint = requireComplaint(requireRegistered(state, cmd.customerId), cmd.data.complaintId);
  if (complaint.status !== 'open') {
    throw new RuleViolated('complaint.not-open', `complaint ${complaint.complaintId} is ${complaint.status}, not open`);
  }
  const { note } = cmd.data;
  return [{ type: 'ComplaintAcknowledged', data: { complaintId: complaint.complaintId, ...(note !== undefined && { note }) }, occurredAt: cmd.occurredAt }];
};

const resolveComplaint = (cmd: C.ResolveComplaint, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('complaintId', data.complaintId);
  if (typeof data.resolution !== 'string' || data.resolution.trim() === '') throw new InvalidInput('resolution', 'is required');
  // Encrypted in the log, so the database no longer refuses a NUL in it: this check must.
  v.checkOptionalString('resolution', data.resolution);
  if (data.compensation !== undefined) v.checkMoney('compensation', data.compensation);
  const complaint = requireComplaint(requireRegistered(state, cmd.customerId), cmd.data.complaintId);
  if (complaint.status === 'resolved') {
    throw new RuleViolated('complaint.not-open', `complaint ${complaint.complaintId} is already resolved`);
  }
  const { resolution, compensation } = cmd.data;
  const resolved = {
    complaintId: complaint.complaintId,
    resolution,
    ...(compensation !== undefined && { compensation: { value: compensation.value, currency: compensation.currency } }),
  };
  return [{ type: 'ComplaintResolved', data: resolved, occurredAt: cmd.occurredAt }];
};

const answerSurvey = (cmd: C.AnswerSurvey, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('surveyId', data.surveyId);
  if (data.bookingId !== undefined) v.checkId('bookingId', data.bookingId);
  v.checkNps('nps', data.nps);
  v.checkOptionalString('comment', data.comment);
  const customer = requireRegistered(state, cmd.customerId);
  const { surveyId, bookingId, nps, comment } = cmd.data;
  if (lookup(customer.surveys, surveyId)) throw new RuleViolated('survey.id-unique', `survey ${surveyId} was already answered`);
  if (bookingId !== undefined) requireBooking(customer, bookingId);
  const answered = { surveyId, ...(bookingId !== undefined && { bookingId }), nps, ...(comment !== undefined && { comment }) };
  return [{ type: 'SurveyAnswered', data: answered, occurredAt: cmd.occurredAt }];
};

const logInteraction = (cmd: C.LogInteraction, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('interactionId', data.interactionId);
  v.checkNonEmptyString('channel', data.channel);
  v.checkOneOf('direction', data.direction, DIRECTIONS);
  v.checkNonEmptyString('topic', data.topic);
  v.checkNonEmptyString('summary', data.summary);
  const customer = requireRegistered(state, cmd.customerId);
  const { interactionId, channel, direction, topic, summary } = cmd.data;
  if (customer.interactionIds.includes(interactionId)) {
    throw new RuleViolated('interaction.id-unique', `interaction ${interactionId} was already logged`);
  }
  return [{ type: 'InteractionLogged', data: { interactionId, channel, direction, topic, summary }, occurredAt: cmd.occurredAt }];
};

const grantVip = (cmd: C.GrantVipStatus, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkNonEmptyString('reason', data.reason);
  const customer = requireRegistered(state, cmd.customerId);
  if (customer.vip) throw new RuleViolated('vip.already-granted', `customer ${cmd.customerId} is already a VIP (since ${customer.vipSince})`);
  return [{ type: 'VipStatusGranted', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};

const revokeVip = (cmd: C.RevokeVipStatus, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkNonEmptyString('reason', data.reason);
  const customer = requireRegistered(state, cmd.customerId);
  if (!customer.vip) throw new RuleViolated('vip.not-granted', `customer ${cmd.customerId} is not a VIP`);
  return [{ type: 'VipStatusRevoked', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};

const completeTouchpoint = (cmd: C.CompleteTouchpoint, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkId('touchpointId', data.touchpointId);
  v.checkOneOf('outcome', data.outcome, TOUCHPOINT_OUTCOMES);
  if (data.note !== undefined) v.checkNonEmptyString('note', data.note);
  const customer = requireRegistered(state, cmd.customerId);
  const { touchpointId, outcome, note } = cmd.data;
  if (customer.completedTouchpoints.includes(touchpointId)) {
    throw new RuleViolated('touchpoint.already-completed', `touchpoint ${touchpointId} was already completed`);
  }
  return [{ type: 'TouchpointCompleted', data: { touchpointId, outcome, ...(note !== undefined && { note }) }, occurredAt: cmd.occurredAt }];
};

const forgetCustomer = (cmd: C.ForgetCustomer, state: CustomerState, data: Record<string, unknown>): CustomerEvent[] => {
  v.checkNonEmptyString('reason', data.reason);
  requireRegistered(state, cmd.customerId);
  return [{ type: 'CustomerForgotten', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};

/**
 * Decides which events a command produces against the current state, or throws a DomainError.
 * Pure: time comes from command.occurredAt; events copy only known fields, never the raw input.
 */
export const decide = (command: C.AnyCustomerCommand, state: CustomerState): CustomerEvent[] => {
  v.checkIsoInstant('occurredAt', command.occurredAt);
  v.checkId('customerId', command.customerId);
  // `data` arrives from JSON: checked as an untyped record first, then read through the typed command.
  const data: unknown = command.data;
  v.checkObject('body', data);
  switch (command.type) {
    case 'RegisterCustomer':
      return registerCustomer(command, state, data);
    case 'UpdateCustomerProfile':
      return updateProfile(command, state, data);
    case 'BookTrip':
      return bookTrip(command, state, data);
    case 'AmendBooking':
      return amendBooking(command, state, data);
    case 'CancelBooking':
      return cancelBooking(command, state, data);
    case 'RecordDeparture':
      return recordDeparture(command, state, data);
    case 'RecordReturn':
      return recordReturn(command, state, data);
    case 'FileComplaint':
      return fileComplaint(command, state, data);
    case 'AcknowledgeComplaint':
      return acknowledgeComplaint(command, state, data);
    case 'ResolveComplaint':
      return resolveComplaint(command, state, data);
    case 'AnswerSurvey':
      return answerSurvey(command, state, data);
    case 'LogInteraction':
      return logInteraction(command, state, data);
    case 'GrantVipStatus':
      return grantVip(command, state, data);
    case 'RevokeVipStatus':
      return revokeVip(command, state, data);
    case 'CompleteTouchpoint':
      return completeTouchpoint(command, state, data);
    case 'ForgetCustomer':
      return forgetCustomer(command, state, data);
    default: {
      const unknownCommand: never = command;
      throw new InvalidInput('type', `unknown command type ${(unknownCommand as { type?: unknown }).type}`);
    }
  }
};
