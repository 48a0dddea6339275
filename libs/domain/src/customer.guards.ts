import { NotFound, RuleViolated } from './domain.errors';
import { lookup } from './customer.state';
import type { BookingState, ComplaintState, CustomerState, RegisteredCustomer } from './customer.state';

/** A forgotten customer is not unknown (the stream is there, and reads as erased): a conflict, never a 404. */
export const refuseForgotten = (state: CustomerState, customerId: string): void => {
  if (state.status === 'forgotten') {
    throw new RuleViolated('customer.forgotten', `customer ${customerId} was forgotten at ${state.forgottenAt}: nothing more can be recorded about them`);
  }
};

export const requireRegistered = (state: CustomerState, customerId: string): RegisteredCustomer => {
  refuseForgotten(state, customerId);
  if (state.status !== 'registered') throw new NotFound('customer', customerId);
  return state;
};

export const requireBooking = (state: RegisteredCustomer, bookingId: string): BookingState => {
  const booking = lookup(state.bookings, bookingId);
  if (!booking) throw new NotFound('booking', bookingId);
  return booking;
};

export const requireComplaint = (state: RegisteredCustomer, complaintId: string): ComplaintState => {
  const complaint = lookup(state.complaints, complaintId);
  if (!complaint) throw new NotFound('complaint', complaintId);
  return complaint;
};
