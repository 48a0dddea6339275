/**
 * What the segment_facts projection keeps per customer: enough to evaluate every segment family as of any instant.
 * Instants are ISO 8601 strings; money is integer minor units in the booking's own currency. What can change keeps
 * its changes with their instants, so an evaluation as of a past instant sees the facts as they were then, whatever
 * was amended later: re-evaluating after a replay gives the rows the first evaluation gave.
 */
export interface CustomerFacts {
  customerId: string;
  registeredAt: string;
  /** The interest tags declared at registration. */
  declaredTags: string[];
  /** Later changes of the declared tags (profile updates), in log order: the last one by an instant holds then. */
  tagChanges: { at: string; tags: string[] }[];
  /** VIP grants (true) and revocations (false) in the order they happened. */
  vipChanges: { at: string; granted: boolean }[];
  bookings: BookingFacts[];
}

export interface BookingFacts {
  bookingId: string;
  bookedAt: string;
  departureDate: string;
  /** The amount as booked; amendments change it from their instant on. */
  amountValue: number;
  currency: string;
  amountChanges: { at: string; value: number; currency: string }[];
  travellers: number;
  productType: string;
  destinationCountry: string;
  channel: string;
  /** When the trip came back (TripReturned): a completed trip. */
  returnedAt?: string;
  cancelledAt?: string;
}
