/**
 * What the segment_facts projection keeps per customer: enough to evaluate every segment family as of any instant.
 * Instants are ISO 8601 strings; money is integer minor units in the booking's own currency.
 */
export interface CustomerFacts {
  customerId: string;
  registeredAt: string;
  /** The profile's current declared interest tags. */
  declaredTags: string[];
  /** VIP grants (true) and revocations (false) in the order they happened. */
  vipChanges: { at: string; granted: boolean }[];
  bookings: BookingFacts[];
}

export interface BookingFacts {
  bookingId: string;
  bookedAt: string;
  departureDate: string;
  amountValue: number;
  currency: string;
  travellers: number;
  productType: string;
  destinationCountry: string;
  channel: string;
  /** When the trip came back (TripReturned): a completed trip. */
  returnedAt?: string;
  cancelledAt?: string;
}
