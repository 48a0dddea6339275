/* Decider specs for after-sales care: complaints, surveys, interactions (bookings and profile are in customer.decide.spec.ts). */
import { InvalidInput, NotFound, RuleViolated } from './domain.errors';
import { RULES } from './validation';
import {
  booked, cmd, complaint, complaintAcknowledged, complaintFiled, complaintResolved, evt, given, raw, registered,
} from './customer.fixtures';

describe('FileComplaint', () => {
  it('files a complaint about a booking', () => {
    given([registered, booked()]).when(cmd('FileComplaint', complaint)).then([evt('ComplaintFiled', complaint)]);
  });

  it('files a complaint without a booking', () => {
    const { complaintId, category, severity, channel, description } = complaint;
    const general = { complaintId, category, severity, channel, description };
    given([registered]).when(cmd('FileComplaint', general)).then([evt('ComplaintFiled', general)]);
  });

  it('requires a complaint id unique for the customer', () => {
    given([registered, booked(), complaintFiled()])
      .when(cmd('FileComplaint', complaint))
      .thenThrows(RuleViolated, { rule: 'complaint.id-unique' });
  });

  it('is NotFound when the booking it names does not exist', () => {
    given([registered]).when(cmd('FileComplaint', complaint)).thenThrows(NotFound, { entity: 'booking', id: 'bk-1' });
  });

  it.each([
    ['category', { category: '' }],
    ['channel', { channel: undefined }],
    ['description', { description: '   ' }],
    ['severity', { severity: 'urgent' }],
    ['complaintId', { complaintId: '' }],
  ])('rejects an invalid %s', (field, override) => {
    given([registered, booked()]).when(cmd('FileComplaint', raw(complaint, override))).thenThrows(InvalidInput, { field });
  });
});

describe('the cause of a complaint or survey answer (schema version 2)', () => {
  const survey = { surveyId: 'sv-1', bookingId: 'bk-1', nps: 3 };

  it.each(['pre-trip', 'during', 'post-trip'] as const)('records the responsible department and the %s phase', (phase) => {
    given([registered, booked()])
      .when(cmd('FileComplaint', { ...complaint, department: 'transfers', phase }))
      .then([evt('ComplaintFiled', { ...complaint, department: 'transfers', phase })]);
    given([registered, booked()])
      .when(cmd('AnswerSurvey', { ...survey, department: 'd'.repeat(100), phase }))
      .then([evt('SurveyAnswered', { ...survey, department: 'd'.repeat(100), phase })]);
  });

  it.each([
    ['department', { department: '' }, 'department should not be empty'],
    ['department', { department: '   ' }, RULES.nonEmpty],
    ['department', { department: 'd'.repeat(101) }, 'department must be shorter than or equal to 100 characters'],
    ['department', { department: 7 }, 'department must be a string'],
    ['phase', { phase: 'after' }, 'phase must be one of the following values: pre-trip, during, post-trip'],
    ['phase', { phase: 'PRE-TRIP' }, 'phase must be one of the following values: pre-trip, during, post-trip'],
  ])('refuses a bad %s, naming the field and the rule', (field, override, rule) => {
    for (const [type, body] of [['FileComplaint', complaint], ['AnswerSurvey', survey]] as const) {
      given([registered, booked()]).when(cmd(type, raw(body, override))).thenThrows(InvalidInput, { field, rule });
    }
  });
});

describe('AcknowledgeComplaint', () => {
  it('acknowledges an open complaint', () => {
    given([registered, booked(), complaintFiled()])
      .when(cmd('AcknowledgeComplaint', { complaintId: 'cp-1', note: 'Calling the hotel' }))
      .then([evt('ComplaintAcknowledged', { complaintId: 'cp-1', note: 'Calling the hotel' })]);
  });

  it('is NotFound for an unknown complaint', () => {
    given([registered]).when(cmd('AcknowledgeComplaint', { complaintId: 'cp-1' })).thenThrows(NotFound, { entity: 'complaint', id: 'cp-1' });
  });

  it.each([
    ['acknowledged', [complaintAcknowledged()]],
    ['resolved', [complaintResolved()]],
  ])('refuses a complaint that is %s', (_status, history) => {
    given([registered, booked(), complaintFiled(), ...history])
      .when(cmd('AcknowledgeComplaint', { complaintId: 'cp-1' }))
      .thenThrows(RuleViolated, { rule: 'complaint.not-open' });
  });
});

describe('ResolveComplaint', () => {
  const resolve = { complaintId: 'cp-1', resolution: 'Refunded one night', compensation: { value: 12_000, currency: 'EUR' } };

  it.each([
    ['open', []],
    ['acknowledged', [complaintAcknowledged()]],
  ])('resolves a complaint that is %s', (_status, history) => {
    given([registered, booked(), complaintFiled(), ...history])
      .when(cmd('ResolveComplaint', resolve))
      .then([evt('ComplaintResolved', resolve)]);
  });

  it('is NotFound for an unknown complaint', () => {
    given([registered]).when(cmd('ResolveComplaint', resolve)).thenThrows(NotFound, { entity: 'complaint' });
  });

  it('refuses an already resolved complaint', () => {
    given([registered, booked(), complaintFiled(), complaintResolved()])
      .when(cmd('ResolveComplaint', resolve))
      .thenThrows(RuleViolated, { rule: 'complaint.not-open' });
  });

  it.each([
    [undefined, 'resolution must be a string'],
    ['', 'resolution should not be empty'],
    ['  ', 'is required'],
  ])('requires a resolution text (%p)', (resolution, rule) => {
    given([registered, booked(), complaintFiled()])
      .when(cmd('ResolveComplaint', raw(resolve, { resolution })))
      .thenThrows(InvalidInput, { field: 'resolution', rule });
  });

  it.each([['nul\u0000byte'], ['half \ud800 pair']])('refuses a resolution the database could not store (%p)', (resolution) => {
    given([registered, booked(), complaintFiled()])
      .when(cmd('ResolveComplaint', raw(resolve, { resolution })))
      .thenThrows(InvalidInput, { field: 'resolution', rule: RULES.noNul });
  });

  it('validates the compensation as money', () => {
    given([registered, booked(), complaintFiled()])
      .when(cmd('ResolveComplaint', raw(resolve, { compensation: { value: 1, currency: 'eur' } })))
      .thenThrows(InvalidInput, { field: 'compensation.currency', rule: 'must be an ISO 4217 currency code' });
  });
});

describe('AnswerSurvey', () => {
  const survey = { surveyId: 'sv-1', bookingId: 'bk-1', nps: 9, comment: 'Lovely' };

  it.each([0, 10])('accepts an NPS of %p', (nps) => {
    given([registered, booked()]).when(cmd('AnswerSurvey', { ...survey, nps })).then([evt('SurveyAnswered', { ...survey, nps })]);
  });

  it.each([
    [11, 'nps must not be greater than 10'],
    [3.5, 'nps must be an integer number'],
    [-1, 'nps must not be less than 0'],
    ['7', 'nps must be an integer number'],
  ])('rejects an NPS of %p', (nps, rule) => {
    given([registered, booked()])
      .when(cmd('AnswerSurvey', raw(survey, { nps })))
      .thenThrows(InvalidInput, { field: 'nps', rule });
  });

  it('requires a survey id unique for the customer', () => {
    given([registered, booked(), evt('SurveyAnswered', survey)])
      .when(cmd('AnswerSurvey', { ...survey, nps: 3 }))
      .thenThrows(RuleViolated, { rule: 'survey.id-unique' });
  });

  it('is NotFound when the booking it names does not exist', () => {
    given([registered]).when(cmd('AnswerSurvey', survey)).thenThrows(NotFound, { entity: 'booking', id: 'bk-1' });
  });

  it('rejects a comment that is not a string', () => {
    given([registered, booked()]).when(cmd('AnswerSurvey', raw(survey, { comment: 42 }))).thenThrows(InvalidInput, { field: 'comment' });
  });
});

describe('LogInteraction', () => {
  const interaction = { interactionId: 'in-1', channel: 'phone', direction: 'inbound' as const, topic: 'transfer', summary: 'Asked about airport transfer' };

  it('logs an interaction', () => {
    given([registered]).when(cmd('LogInteraction', interaction)).then([evt('InteractionLogged', interaction)]);
  });

  it('requires an interaction id unique for the customer', () => {
    given([registered, evt('InteractionLogged', interaction)])
      .when(cmd('LogInteraction', interaction))
      .thenThrows(RuleViolated, { rule: 'interaction.id-unique' });
  });

  it.each([
    ['channel', { channel: '' }],
    ['topic', { topic: '' }],
    ['summary', { summary: '' }],
    ['direction', { direction: 'sideways' }],
  ])('rejects an invalid %s', (field, override) => {
    given([registered]).when(cmd('LogInteraction', raw(interaction, override))).thenThrows(InvalidInput, { field });
  });
});
