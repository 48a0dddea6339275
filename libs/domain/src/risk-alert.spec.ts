import { LIMITS } from './limits';
import { RuleViolated } from './domain.errors';
import { parseIssueRiskAlert, riskAlertDecider, type IssueRiskAlert } from './risk-alert';

const alert = { alertId: 'ra-2026-017', country: 'GR', city: 'Chania', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: 'Wildfires near Chania: coastal roads closed.' };
const defaults = { alertId: 'default-id', occurredAt: '2026-07-08T06:00:00Z' };
const parse = (body: unknown) => parseIssueRiskAlert(body, defaults);
const issued = (body: Record<string, unknown>): IssueRiskAlert => {
  const parsed = parse(body);
  if (!parsed.ok) throw parsed.error;
  return parsed.command;
};

describe('parseIssueRiskAlert', () => {
  it('makes the command of exactly the known fields, filling in the id and the instant the request left out', () => {
    expect(parse(alert)).toEqual({ ok: true, command: { type: 'IssueRiskAlert', data: alert, occurredAt: defaults.occurredAt } });
    const { city: _city, alertId: _id, ...countryWide } = alert;
    expect(issued({ ...countryWide, occurredAt: '2026-07-01T00:00:00Z' })).toEqual({ type: 'IssueRiskAlert', data: { ...countryWide, alertId: 'default-id' }, occurredAt: '2026-07-01T00:00:00Z' });
  });

  it('accepts a one-day period and texts at their limits', () => {
    expect(parse({ ...alert, to: alert.from, city: 'c'.repeat(LIMITS.label), message: 'm'.repeat(LIMITS.text) }).ok).toBe(true);
  });

  it.each([
    ['alertId', { alertId: '' }, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ . : -'],
    ['country', { country: 'Greece' }, 'must be an ISO 3166-1 alpha-2 country code'],
    ['city', { city: '' }, 'city should not be empty'],
    ['city', { city: 'c'.repeat(LIMITS.label + 1) }, `city must be shorter than or equal to ${LIMITS.label} characters`],
    ['city', { city: 'Cha\u0000nia' }, 'must not contain the NUL character (U+0000) or a lone surrogate'],
    ['from', { from: '2026-13-01' }, 'must be a valid ISO 8601 date (YYYY-MM-DD)'],
    ['from', { from: '1899-12-31' }, 'must be from 1900-01-01 to 2200-12-31'],
    ['to', { to: '2026-07-09' }, 'must not be before from (2026-07-10)'],
    ['severity', { severity: 'apocalyptic' }, 'severity must be one of the following values: low, medium, high, critical'],
    ['message', { message: '  ' }, 'must be a non-empty string'],
    ['message', { message: 'm'.repeat(LIMITS.text + 1) }, `message must be shorter than or equal to ${LIMITS.text} characters`],
    ['occurredAt', { occurredAt: 'yesterday' }, 'occurredAt must be a valid ISO 8601 date string'],
    ['extra', { extra: 'no' }, 'property extra should not exist'],
    ['__proto__', JSON.parse('{"__proto__": {"admin": true}}'), 'property __proto__ should not exist'],
  ])('names %s and its rule when it is wrong', (field, override, rule) => {
    expect(parse({ ...alert, ...override })).toEqual({ ok: false, error: expect.objectContaining({ field, rule }) });
  });

  it('lists every broken rule of the shape', () => {
    const parsed = parse({ ...alert, city: 'c'.repeat(LIMITS.label + 1), message: 'm'.repeat(LIMITS.text + 1), extra: 1 });
    expect(!parsed.ok && parsed.error.errors?.map((e) => e.field)).toEqual(['extra', 'city', 'message']);
  });

  it('refuses a body that is no object', () => {
    expect(parse([alert])).toEqual({ ok: false, error: expect.objectContaining({ field: 'body', rule: 'must be an object' }) });
  });
});

describe('IssueRiskAlert', () => {
  it('issues the alert in its own stream', () => {
    expect(riskAlertDecider.decide(issued(alert), riskAlertDecider.initialState())).toEqual([{ type: 'DestinationRiskAlertIssued', data: alert, occurredAt: defaults.occurredAt }]);
  });

  it('refuses an alert id used before', () => {
    const [event] = riskAlertDecider.decide(issued(alert), riskAlertDecider.initialState());
    const state = riskAlertDecider.evolve(riskAlertDecider.initialState(), event);
    expect(() => riskAlertDecider.decide(issued(alert), state)).toThrow(new RuleViolated('risk-alert.id-unique', 'risk alert ra-2026-017 was already issued'));
  });
});
