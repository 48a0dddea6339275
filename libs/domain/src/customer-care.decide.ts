import type * as C from './customer.commands';
import type { CustomerEvent, FeedbackCause } from './customer.events';
import { requireBooking, requireComplaint, requireRegistered } from './customer.guards';
import { lookup, type CustomerState } from './customer.state';
import { RuleViolated } from './domain.errors';

/** Only the cause fields given: an answer without them is stored as version 1 stored it. */
const causeOf = ({ department, phase }: FeedbackCause): FeedbackCause => ({ ...(department !== undefined && { department }), ...(phase !== undefined && { phase }) });

export const fileComplaint = (cmd: C.FileComplaint, state: CustomerState): CustomerEvent[] => {
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
    ...causeOf(d),
  };
  return [{ type: 'ComplaintFiled', data: filed, occurredAt: cmd.occurredAt }];
};

export const acknowledgeComplaint = (cmd: C.AcknowledgeComplaint, state: CustomerState): CustomerEvent[] => {
  const complaint = requireComplaint(requireRegistered(state, cmd.customerId), cmd.data.complaintId);
  if (complaint.status !== 'open') {
    throw new RuleViolated('complaint.not-open', `complaint ${complaint.complaintId} is ${complaint.status}, not open`);
  }
  const { note } = cmd.data;
  return [{ type: 'ComplaintAcknowledged', data: { complaintId: complaint.complaintId, ...(note !== undefined && { note }) }, occurredAt: cmd.occurredAt }];
};

export const resolveComplaint = (cmd: C.ResolveComplaint, state: CustomerState): CustomerEvent[] => {
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

export const answerSurvey = (cmd: C.AnswerSurvey, state: CustomerState): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  const { surveyId, bookingId, nps, comment } = cmd.data;
  if (lookup(customer.surveys, surveyId)) throw new RuleViolated('survey.id-unique', `survey ${surveyId} was already answered`);
  if (bookingId !== undefined) requireBooking(customer, bookingId);
  const answered = { surveyId, ...(bookingId !== undefined && { bookingId }), nps, ...(comment !== undefined && { comment }), ...causeOf(cmd.data) };
  return [{ type: 'SurveyAnswered', data: answered, occurredAt: cmd.occurredAt }];
};

export const logInteraction = (cmd: C.LogInteraction, state: CustomerState): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  const { interactionId, channel, direction, topic, summary } = cmd.data;
  if (customer.interactionIds.includes(interactionId)) {
    throw new RuleViolated('interaction.id-unique', `interaction ${interactionId} was already logged`);
  }
  return [{ type: 'InteractionLogged', data: { interactionId, channel, direction, topic, summary }, occurredAt: cmd.occurredAt }];
};
