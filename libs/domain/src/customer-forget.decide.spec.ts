/* Decider specs for the right to be forgotten (issue 7): ForgetCustomer, and every command after it. */
import type { AnyCustomerCommand } from './customer.commands';
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import {
  booked, cancelled, cmd, complaint, complaintFiled, complaintResolved, departed, evt, given, raw, registered, registration, returned, trip,
} from './customer.fixtures';
import { CUSTOMER_EVENT_SCHEMAS } from './customer.schemas';
import { foldCustomer } from './customer.state';
import { ERASED, PERSONAL_EVENT_FIELDS, erasePersonal } from './personal-data';
import type { CustomerEvent } from './customer.events';

const forgotten = evt('CustomerForgotten', { reason: 'erasure request 2025-114' }, '2025-07-01T10:00:00Z');

describe('ForgetCustomer', () => {
  it('records CustomerForgotten with the reason', () => {
    given([registered, booked()]).when(cmd('ForgetCustomer', { reason: 'GDPR art. 17 request' })).then([
      evt('CustomerForgotten', { reason: 'GDPR art. 17 request' }),
    ]);
  });

  it('is NotFound for an unknown customer', () => {
    given([]).when(cmd('ForgetCustomer', { reason: 'x' })).thenThrows(NotFound, { entity: 'customer' });
  });

  it.each([[''], ['  '], [undefined], [7]])('requires a reason (%p), before anything else', (reason) => {
    given([]).when(cmd('ForgetCustomer', raw({ reason: 'x' }, { reason }))).thenThrows(InvalidInput, { field: 'reason' });
  });

  it('refuses a second forget with customer.forgotten', () => {
    given([registered, forgotten]).when(cmd('ForgetCustomer', { reason: 'again' })).thenThrows(RuleViolated, { rule: 'customer.forgotten' });
  });

  it('writes CustomerForgotten at schema version 1', () => {
    expect(CUSTOMER_EVENT_SCHEMAS.current.CustomerForgotten).toBe(1);
  });
});

describe('every command on a forgotten customer', () => {
  const commands: AnyCustomerCommand[] = [
    cmd('RegisterCustomer', registration),
    cmd('UpdateCustomerProfile', { name: 'New Name' }),
    cmd('BookTrip', { ...trip, bookingId: 'bk-2' }),
    cmd('AmendBooking', { bookingId: 'bk-1', amount: { value: 1, currency: 'EUR' } }),
    cmd('CancelBooking', { bookingId: 'bk-1', reason: 'x' }),
    cmd('RecordDeparture', { bookingId: 'bk-1' }),
    cmd('RecordReturn', { bookingId: 'bk-1' }),
    cmd('FileComplaint', { ...complaint, complaintId: 'cp-2' }),
    cmd('AcknowledgeComplaint', { complaintId: 'cp-1' }),
    cmd('ResolveComplaint', { complaintId: 'cp-1', resolution: 'x' }),
    cmd('AnswerSurvey', { surveyId: 'sv-9', nps: 9 }),
    cmd('LogInteraction', { interactionId: 'i-9', channel: 'phone', direction: 'inbound', topic: 't', summary: 's' }),
    cmd('GrantVipStatus', { reason: 'x' }),
    cmd('RevokeVipStatus', { reason: 'x' }),
    cmd('CompleteTouchpoint', { touchpointId: 'tp_1', outcome: 'done' }),
    cmd('ForgetCustomer', { reason: 'x' }),
  ];

  it('covers every command type', () => {
    expect(new Set(commands.map((c) => c.type)).size).toBe(16);
  });

  it.each(commands.map((c) => [c.type, c] as const))('refuses %s with customer.forgotten', (_type, command) => {
    given([registered, booked(), complaintFiled(), forgotten]).when(command).thenThrows(RuleViolated, { rule: 'customer.forgotten' });
  });

  it('still answers invalid input with 400 first, as for any customer', () => {
    given([registered, forgotten]).when(cmd('BookTrip', raw(trip, { bookingId: 'has space' }))).thenThrows(InvalidInput, { field: 'bookingId' });
  });
});

/** What the log gives back once the key is gone: each personal field erased, or absent. */
const erasedEvent = (event: CustomerEvent): CustomerEvent =>
  ({ ...event, data: erasePersonal(event.data, PERSONAL_EVENT_FIELDS[event.type] ?? []) }) as CustomerEvent;

describe('forgotten state', () => {
  const history: CustomerEvent[] = [
    evt('CustomerRegistered', { customerId: 'cust-1', ...registration, phone: '+49 30 1234567', birthDate: '1990-02-28', tags: ['family'] }, '2025-01-10T09:00:00Z'),
    evt('CustomerProfileUpdated', { email: 'new@example.com' }, '2025-01-11T09:00:00Z'),
    booked(),
    departed(),
    returned(),
    complaintFiled(),
    complaintResolved(),
    evt('SurveyAnswered', { surveyId: 'sv-1', bookingId: 'bk-1', nps: 3, comment: 'Ada hated the hotel' }, '2025-06-21T08:00:00Z'),
    booked('bk-2'),
    cancelled('bk-2'),
    evt('VipStatusGranted', { reason: 'knows the owner' }, '2025-06-22T08:00:00Z'),
  ];

  it('keeps the non-personal facts and erases the personal ones', () => {
    const state = foldCustomer([...history, forgotten]);
    expect(state).toMatchObject({
      status: 'forgotten',
      forgottenAt: forgotten.occurredAt,
      profile: { name: ERASED, timeZone: 'Europe/Berlin', language: 'en', tags: ['family'] },
      bookings: { 'bk-1': { status: 'returned', amount: { value: 250_000, currency: 'EUR' } }, 'bk-2': { status: 'cancelled', cancellationReason: ERASED } },
      complaints: { 'cp-1': { status: 'resolved', resolution: ERASED, compensation: { value: 5_000, currency: 'EUR' } } },
      surveys: { 'sv-1': { nps: 3, comment: ERASED } },
      lastNps: 3,
      vip: true,
    });
    if (state.status !== 'forgotten') throw new Error('not forgotten');
    for (const field of ['email', 'phone', 'birthDate']) expect(state.profile).not.toHaveProperty(field);
    expect(JSON.stringify(state)).not.toMatch(/Ada|example\.com|1990|1234567|illness|Voucher|hated/);
  });

  it('is the same whether folded from the readable events or from the erased ones a rebuild reads', () => {
    expect(foldCustomer([...history.map(erasedEvent), forgotten])).toEqual(foldCustomer([...history, forgotten]));
  });

  it('ignores anything after the CustomerForgotten', () => {
    const state = foldCustomer([...history, forgotten]);
    expect(foldCustomer([booked('bk-3'), evt('CustomerProfileUpdated', { name: 'Back' })], state)).toEqual(state);
  });
});
