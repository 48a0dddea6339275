import { InvalidInput, RuleViolated } from './domain.errors';
import { riskAlertDecider, type IssueRiskAlert } from './risk-alert';

const alert = { alertId: 'ra-2026-017', country: 'GR', city: 'Chania', from: '2026-07-10', to: '2026-07-20', severity: 'high', message: 'Wildfires near Chania: coastal roads closed.' };
const issue = (data: Record<string, unknown>): IssueRiskAlert => ({ type: 'IssueRiskAlert', data, occurredAt: '2026-07-08T06:00:00Z' } as unknown as IssueRiskAlert);

describe('IssueRiskAlert', () => {
  it('issues the alert in its own stream with exactly the known fields', () => {
    expect(riskAlertDecider.decide(issue({ ...alert, extra: 'dropped' }), riskAlertDecider.initialState())).toEqual([
      { type: 'DestinationRiskAlertIssued', data: alert, occurredAt: '2026-07-08T06:00:00Z' },
    ]);
    const { city: _city, ...countryWide } = alert;
    expect(riskAlertDecider.decide(issue(countryWide), riskAlertDecider.initialState())[0].data).toEqual(countryWide);
  });

  it('accepts a one-day period and refuses one that ends before it starts', () => {
    expect(riskAlertDecider.decide(issue({ ...alert, to: alert.from }), riskAlertDecider.initialState())).toHaveLength(1);
    expect(() => riskAlertDecider.decide(issue({ ...alert, to: '2026-07-09' }), riskAlertDecider.initialState())).toThrow(
      expect.objectContaining({ field: 'to', rule: 'must not be before from (2026-07-10)' }),
    );
  });

  it.each([
    ['alertId', { alertId: '' }],
    ['country', { country: 'Greece' }],
    ['city', { city: '' }],
    ['from', { from: '2026-13-01' }],
    ['to', { to: 'soon' }],
    ['severity', { severity: 'apocalyptic' }],
    ['message', { message: '  ' }],
  ])('names %s when it is wrong', (field, override) => {
    expect(() => riskAlertDecider.decide(issue({ ...alert, ...override }), riskAlertDecider.initialState())).toThrow(expect.objectContaining({ field }));
    expect(() => riskAlertDecider.decide(issue({ ...alert, ...override }), riskAlertDecider.initialState())).toThrow(InvalidInput);
  });

  it('refuses an alert id used before', () => {
    const [issued] = riskAlertDecider.decide(issue(alert), riskAlertDecider.initialState());
    const state = riskAlertDecider.evolve(riskAlertDecider.initialState(), issued);
    expect(() => riskAlertDecider.decide(issue(alert), state)).toThrow(new RuleViolated('risk-alert.id-unique', 'risk alert ra-2026-017 was already issued'));
  });
});
