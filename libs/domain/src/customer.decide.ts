import type * as C from './customer.commands';
import type { CustomerEvent } from './customer.events';
import { amendBooking, bookTrip, cancelBooking, recordDeparture, recordReturn } from './customer-booking.decide';
import { acknowledgeComplaint, answerSurvey, fileComplaint, logInteraction, resolveComplaint } from './customer-care.decide';
import { forgetCustomer } from './customer-forget.decide';
import { registerCustomer, updateProfile } from './customer-profile.decide';
import { completeTouchpoint, type DecideContext } from './customer-touchpoint.decide';
import { grantVip, revokeVip } from './customer-vip.decide';
import type { CustomerState } from './customer.state';

export type { DecideContext, ScheduledTouchpoint } from './customer-touchpoint.decide';

/**
 * Decides which events a command produces against the current state, or throws a DomainError.
 *
 * The command is trusted: it comes from parseCustomerCommand, which checked every field (ForgetCustomer excepted,
 * see customer-forget.decide.ts), so only rules that need the state are checked here: the customer's existence
 * (NotFound, 404), then conflicts (RuleViolated, 409), what the configuration cannot handle (Unprocessable, 422), and the few fields that are only wrong relative to the state
 * (a refund above the booking amount, amended dates out of order: 400). Pure: time comes from command.occurredAt;
 * events copy only known fields.
 */
export const decide = (command: C.AnyCustomerCommand, state: CustomerState, context: DecideContext = {}): CustomerEvent[] => {
  switch (command.type) {
    case 'RegisterCustomer':
      return registerCustomer(command, state);
    case 'UpdateCustomerProfile':
      return updateProfile(command, state);
    case 'BookTrip':
      return bookTrip(command, state, context);
    case 'AmendBooking':
      return amendBooking(command, state, context);
    case 'CancelBooking':
      return cancelBooking(command, state);
    case 'RecordDeparture':
      return recordDeparture(command, state);
    case 'RecordReturn':
      return recordReturn(command, state);
    case 'FileComplaint':
      return fileComplaint(command, state);
    case 'AcknowledgeComplaint':
      return acknowledgeComplaint(command, state);
    case 'ResolveComplaint':
      return resolveComplaint(command, state);
    case 'AnswerSurvey':
      return answerSurvey(command, state);
    case 'LogInteraction':
      return logInteraction(command, state);
    case 'GrantVipStatus':
      return grantVip(command, state);
    case 'RevokeVipStatus':
      return revokeVip(command, state);
    case 'CompleteTouchpoint':
      return completeTouchpoint(command, state, context);
    case 'ForgetCustomer':
      return forgetCustomer(command, state);
    default: {
      const unknownCommand: never = command;
      throw new Error(`unknown command type ${(unknownCommand as { type?: unknown }).type}`);
    }
  }
};

/** The natural id of each command that creates something: where it is recorded, and under which data field. */
const CREATES: Partial<Record<C.AnyCustomerCommand['type'], { event: CustomerEvent['type']; id?: string }>> = {
  RegisterCustomer: { event: 'CustomerRegistered' },
  BookTrip: { event: 'TripBooked', id: 'bookingId' },
  FileComplaint: { event: 'ComplaintFiled', id: 'complaintId' },
  AnswerSurvey: { event: 'SurveyAnswered', id: 'surveyId' },
  LogInteraction: { event: 'InteractionLogged', id: 'interactionId' },
};

/**
 * The index of the event that first used the natural id this command creates (the customer, a booking id, ...), or
 * -1. The command handler decides the command again on the state before it: the same event means the same command
 * sent again, answered as the first time; anything else meets the id's conflict (booking.id-unique, ...) in decide.
 */
export const creationOf = (command: C.AnyCustomerCommand, history: readonly { type: string; data: object }[]): number => {
  const creates = CREATES[command.type];
  if (!creates) return -1;
  const idOf = (data: object): unknown => (creates.id === undefined ? undefined : (data as Record<string, unknown>)[creates.id]);
  return history.findIndex((event) => event.type === creates.event && idOf(event.data) === idOf(command.data));
};
