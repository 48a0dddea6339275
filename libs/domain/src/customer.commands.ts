import type { CustomerEvent, CustomerProfile, Destination, Money } from './customer.events';

type Command<Type extends string, Data> = {
  type: Type;
  customerId: string;
  data: Data;
  /** ISO 8601 instant the command's events happened at; the caller (API, import) fills in "now" by default. */
  occurredAt: string;
};

type DataOf<T extends CustomerEvent['type']> = Extract<CustomerEvent, { type: T }>['data'];

export type RegisterCustomer = Command<'RegisterCustomer', Omit<CustomerProfile, 'tags'> & { tags?: string[]; marketingConsent: boolean }>;
export type UpdateCustomerProfile = Command<'UpdateCustomerProfile', Partial<CustomerProfile> & { marketingConsent?: boolean }>;
export type BookTrip = Command<
  'BookTrip',
  { bookingId: string; destination: Destination; departureDate: string; returnDate: string; amount: Money; travellers: number; productType: string; channel: string }
>;
export type AmendBooking = Command<'AmendBooking', DataOf<'BookingAmended'>>;
export type CancelBooking = Command<'CancelBooking', DataOf<'BookingCancelled'>>;
export type RecordDeparture = Command<'RecordDeparture', DataOf<'TripDeparted'>>;
export type RecordReturn = Command<'RecordReturn', DataOf<'TripReturned'>>;
export type FileComplaint = Command<'FileComplaint', DataOf<'ComplaintFiled'>>;
export type AcknowledgeComplaint = Command<'AcknowledgeComplaint', DataOf<'ComplaintAcknowledged'>>;
export type ResolveComplaint = Command<'ResolveComplaint', DataOf<'ComplaintResolved'>>;
export type AnswerSurvey = Command<'AnswerSurvey', DataOf<'SurveyAnswered'>>;
export type LogInteraction = Command<'LogInteraction', DataOf<'InteractionLogged'>>;

export type GrantVipStatus = Command<'GrantVipStatus', DataOf<'VipStatusGranted'>>;
export type RevokeVipStatus = Command<'RevokeVipStatus', DataOf<'VipStatusRevoked'>>;
export type CompleteTouchpoint = Command<'CompleteTouchpoint', DataOf<'TouchpointCompleted'>>;

export type CustomerCommand =
  | RegisterCustomer
  | UpdateCustomerProfile
  | BookTrip
  | AmendBooking
  | CancelBooking
  | RecordDeparture
  | RecordReturn
  | FileComplaint
  | AcknowledgeComplaint
  | ResolveComplaint
  | AnswerSurvey
  | LogInteraction
  | GrantVipStatus
  | RevokeVipStatus
  | CompleteTouchpoint;

export type CustomerCommandType = CustomerCommand['type'];

/**
 * Not a CustomerCommand on purpose: forgetting must also destroy the customer's data key (libs/privacy), so only that
 * use case issues it; the generic command handler and imports, which take CustomerCommand, cannot.
 */
export type ForgetCustomer = Command<'ForgetCustomer', DataOf<'CustomerForgotten'>>;

/** Everything decide() takes. */
export type AnyCustomerCommand = CustomerCommand | ForgetCustomer;
