/* Test data for the customer decider and evolve specs. Test-only; not exported from index.ts. */
import type { AnyCustomerCommand } from './customer.commands';
import type { CustomerEvent, CustomerEventType } from './customer.events';
import { parseCustomerCommand, pathIdsOf } from './customer-command.parse';
import { decide, type DecideContext, type ScheduledTouchpoint } from './customer.decide';
import { evolve, initialState, type CustomerState } from './customer.state';
import { deciderSpec } from './decider-spec';

/**
 * The write path as the API and the import run it: the command is parsed as untrusted input (its data split into
 * the body and the ids the API takes from the path), then decided. So a spec may hand in a malformed command and
 * expect the 400 a caller gets.
 */
export const parseThenDecide = (command: AnyCustomerCommand, state: CustomerState, context?: DecideContext): CustomerEvent[] => {
  const { type, customerId, occurredAt } = command;
  const data: unknown = command.data;
  // Forgetting is parsed by decide itself (its use case is an entry point of its own).
  if (type === 'ForgetCustomer') return decide(command, state, context);
  const body: Record<string, unknown> | unknown = typeof data === 'object' && data !== null ? { ...data } : data;
  const ids: Record<string, unknown> = {};
  for (const field of pathIdsOf(type)) {
    ids[field] = (body as Record<string, unknown>)[field];
    delete (body as Record<string, unknown>)[field];
  }
  const parsed = parseCustomerCommand({ type, customerId, occurredAt, body, ids });
  if (!parsed.ok) throw parsed.error;
  return decide(parsed.command, state, context);
};

export const given = deciderSpec({ decide: (command: AnyCustomerCommand, state: CustomerState) => parseThenDecide(command, state), evolve, initialState });

/** The same, with what the app passes besides the state (the currencies with a rate, a schedule). */
export const givenContext = (context: DecideContext) =>
  deciderSpec({ decide: (command: AnyCustomerCommand, state: CustomerState) => parseThenDecide(command, state, context), evolve, initialState });

/** With the customer's touchpoint schedule (as the app computes it with libs/touchpoints) in the context. */
export const givenSchedule = (touchpoints: Record<string, ScheduledTouchpoint>) => givenContext({ touchpoints: new Map(Object.entries(touchpoints)) });

export const CUSTOMER_ID = 'cust-1';
export const T0 = '2025-01-10T09:00:00Z';
export const T1 = '2025-03-01T10:00:00+01:00';

type CommandOf<T extends AnyCustomerCommand['type']> = Extract<AnyCustomerCommand, { type: T }>;
type EventOf<T extends CustomerEventType> = Extract<CustomerEvent, { type: T }>;

export const cmd = <T extends AnyCustomerCommand['type']>(type: T, data: CommandOf<T>['data'], occurredAt = T1): CommandOf<T> =>
  ({ type, customerId: CUSTOMER_ID, data, occurredAt }) as CommandOf<T>;

export const evt = <T extends CustomerEventType>(type: T, data: EventOf<T>['data'], occurredAt = T1): EventOf<T> =>
  ({ type, data, occurredAt }) as EventOf<T>;

/** Overrides typed fields with arbitrary (usually invalid) JSON values, as a malformed request would. */
export const raw = <T extends object>(valid: T, overrides: Record<string, unknown>): T => ({ ...valid, ...overrides }) as T;

export const registration = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  timeZone: 'Europe/Berlin',
  language: 'en',
  preferredChannel: 'email' as const,
  marketingConsent: false,
};

export const registered = evt('CustomerRegistered', { customerId: CUSTOMER_ID, ...registration, tags: [] }, T0);

export const trip = {
  bookingId: 'bk-1',
  destination: { country: 'ES', city: 'Palma' },
  departureDate: '2025-06-01',
  returnDate: '2025-06-14',
  amount: { value: 250_000, currency: 'EUR' },
  travellers: 2,
  productType: 'package',
  channel: 'web',
};

export const booked = (bookingId = 'bk-1') => evt('TripBooked', { ...trip, bookingId }, T0);
export const departed = (bookingId = 'bk-1') => evt('TripDeparted', { bookingId }, '2025-06-01T06:00:00Z');
export const returned = (bookingId = 'bk-1') => evt('TripReturned', { bookingId }, '2025-06-14T20:00:00Z');
export const cancelled = (bookingId = 'bk-1') => evt('BookingCancelled', { bookingId, reason: 'illness' }, T0);

export const complaint = {
  complaintId: 'cp-1',
  bookingId: 'bk-1',
  category: 'hotel',
  severity: 'high' as const,
  channel: 'phone',
  description: 'Room was not cleaned',
};

export const complaintFiled = () => evt('ComplaintFiled', complaint, '2025-06-05T12:00:00Z');
export const complaintAcknowledged = () => evt('ComplaintAcknowledged', { complaintId: 'cp-1' }, '2025-06-05T13:00:00Z');
export const complaintResolved = () =>
  evt('ComplaintResolved', { complaintId: 'cp-1', resolution: 'Voucher sent', compensation: { value: 5_000, currency: 'EUR' } }, '2025-06-20T09:00:00Z');
