import { isInt, max, min, oneOf, text, type CommandRules, type Shape } from './command-shape';
import { money } from './customer-booking.parse';
import { COMPLAINT_SEVERITIES, DIRECTIONS, TOUCHPOINT_OUTCOMES, TRIP_PHASES } from './customer.events';
import { InvalidInput } from './domain.errors';
import { LIMITS } from './limits';
import * as v from './validation';

const TEXT = LIMITS.text;
const LABEL = LIMITS.label;

/**
 * The cause a complaint or survey answer points at (schema version 2): a department label the feedback read model
 * groups by (so a length it can hold, and no blank), and a trip phase from a fixed list.
 */
const cause: Shape = {
  department: text({ optional: true, nonEmpty: true, max: LABEL }),
  phase: { optional: true, checks: [oneOf(TRIP_PHASES)] },
};
const checkCause = (data: Record<string, unknown>): void => {
  if (data.department !== undefined) v.checkNonEmptyString('department', data.department);
};

export const fileComplaint: CommandRules = {
  shape: {
    complaintId: text({ nonEmpty: true }),
    bookingId: text({ optional: true }),
    category: text({ nonEmpty: true, max: LABEL }),
    severity: { checks: [oneOf(COMPLAINT_SEVERITIES)] },
    channel: text({ nonEmpty: true, max: LABEL }),
    description: text({ nonEmpty: true, max: TEXT }),
    ...cause,
  },
  check(data) {
    v.checkId('complaintId', data.complaintId);
    if (data.bookingId !== undefined) v.checkId('bookingId', data.bookingId);
    v.checkNonEmptyString('category', data.category);
    v.checkNonEmptyString('channel', data.channel);
    v.checkNonEmptyString('description', data.description);
    checkCause(data);
  },
};

export const acknowledgeComplaint: CommandRules = {
  shape: { note: text({ optional: true, max: TEXT }) },
  pathIds: ['complaintId'],
  check(data) {
    v.checkId('complaintId', data.complaintId);
    v.checkOptionalString('note', data.note);
  },
};

export const resolveComplaint: CommandRules = {
  shape: { resolution: text({ nonEmpty: true, max: TEXT }), compensation: money(true) },
  pathIds: ['complaintId'],
  check(data) {
    v.checkId('complaintId', data.complaintId);
    if (typeof data.resolution !== 'string' || data.resolution.trim() === '') throw new InvalidInput('resolution', 'is required');
    // Encrypted in the log, so the database no longer refuses a NUL in it: this check must.
    v.checkOptionalString('resolution', data.resolution);
    if (data.compensation !== undefined) v.checkMoney('compensation', data.compensation);
  },
};

export const answerSurvey: CommandRules = {
  shape: {
    surveyId: text({ nonEmpty: true }),
    bookingId: text({ optional: true }),
    nps: { checks: [isInt, min(0), max(10)] },
    comment: text({ optional: true, max: TEXT }),
    ...cause,
  },
  check(data) {
    v.checkId('surveyId', data.surveyId);
    if (data.bookingId !== undefined) v.checkId('bookingId', data.bookingId);
    v.checkOptionalString('comment', data.comment);
    checkCause(data);
  },
};

/** The API and the import fill in a missing interactionId before parsing (a new UUID, an id derived from the line). */
export const logInteraction: CommandRules = {
  shape: {
    interactionId: text({ optional: true }),
    channel: text({ nonEmpty: true, max: LABEL }),
    direction: { checks: [oneOf(DIRECTIONS)] },
    topic: text({ nonEmpty: true, max: LABEL }),
    summary: text({ nonEmpty: true, max: TEXT }),
  },
  check(data) {
    v.checkId('interactionId', data.interactionId);
    v.checkNonEmptyString('channel', data.channel);
    v.checkNonEmptyString('topic', data.topic);
    v.checkNonEmptyString('summary', data.summary);
  },
};

/** GrantVipStatus and RevokeVipStatus: a person decides, and says why. */
export const vipReason: CommandRules = {
  shape: { reason: text({ nonEmpty: true, max: TEXT }) },
  check(data) {
    v.checkNonEmptyString('reason', data.reason);
  },
};

export const completeTouchpoint: CommandRules = {
  shape: { outcome: { checks: [oneOf(TOUCHPOINT_OUTCOMES)] }, note: text({ optional: true, nonEmpty: true, max: TEXT }) },
  pathIds: ['touchpointId'],
  check(data) {
    v.checkId('touchpointId', data.touchpointId);
    if (data.note !== undefined) v.checkNonEmptyString('note', data.note);
  },
};
