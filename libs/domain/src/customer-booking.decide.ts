import type * as C from './customer.commands';
import type { CustomerEvent, Money } from './customer.events';
import { RETURN_BEFORE_DEPARTURE } from './customer-booking.parse';
import { requireBooking, requireRegistered } from './customer.guards';
import { lookup, type CustomerState } from './customer.state';
import type { DecideContext } from './customer-touchpoint.decide';
import { InvalidInput, RuleViolated, Unprocessable } from './domain.errors';

const sameMoney = (a: Money, b: Money): boolean => a.value === b.value && a.currency === b.currency;

const requireRate = (amount: Money, { currencies }: DecideContext): void => {
  if (currencies && !currencies.has(amount.currency)) {
    throw new Unprocessable(
      'booking.currency-without-rate',
      `no exchange rate is configured for ${amount.currency} (segments config currency.rates has ${[...currencies].join(', ')}); nothing was written`,
    );
  }
};

export const bookTrip = (cmd: C.BookTrip, state: CustomerState, context: DecideContext): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  const d = cmd.data;
  if (lookup(customer.bookings, d.bookingId)) {
    throw new RuleViolated('booking.id-unique', `booking ${d.bookingId} already exists for this customer`);
  }
  requireRate(d.amount, context);
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

export const amendBooking = (cmd: C.AmendBooking, state: CustomerState, context: DecideContext): CustomerEvent[] => {
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  if (booking.status !== 'booked') {
    throw new RuleViolated('booking.not-amendable', `booking ${booking.bookingId} is ${booking.status} and can no longer be amended`);
  }
  const { departureDate, returnDate, amount } = cmd.data;
  if (amount !== undefined) requireRate(amount, context);
  // Relative to the booking as it stands: the dates the command leaves out are the booked ones.
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

export const cancelBooking = (cmd: C.CancelBooking, state: CustomerState): CustomerEvent[] => {
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

export const recordDeparture = (cmd: C.RecordDeparture, state: CustomerState): CustomerEvent[] => {
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  const id = booking.bookingId;
  if (booking.status === 'cancelled') throw new RuleViolated('booking.departure-of-cancelled', `booking ${id} is cancelled`);
  if (booking.status !== 'booked') throw new RuleViolated('booking.already-departed', `booking ${id} has already departed`);
  return [{ type: 'TripDeparted', data: { bookingId: id }, occurredAt: cmd.occurredAt }];
};

export const recordReturn = (cmd: C.RecordReturn, state: CustomerState): CustomerEvent[] => {
  const booking = requireBooking(requireRegistered(state, cmd.customerId), cmd.data.bookingId);
  const id = booking.bookingId;
  if (booking.status === 'cancelled') throw new RuleViolated('booking.return-of-cancelled', `booking ${id} is cancelled`);
  if (booking.status === 'booked') throw new RuleViolated('booking.return-before-departure', `booking ${id} has not departed yet`);
  if (booking.status === 'returned') throw new RuleViolated('booking.already-returned', `booking ${id} has already returned`);
  return [{ type: 'TripReturned', data: { bookingId: id }, occurredAt: cmd.occurredAt }];
};
