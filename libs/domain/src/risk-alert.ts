import { iso8601, oneOf, parseShaped, text, type Parsed, type Shape } from './command-shape';
import { COMPLAINT_SEVERITIES } from './customer.events';
import { InvalidInput, RuleViolated } from './domain.errors';
import { LIMITS } from './limits';
import * as v from './validation';

/**
 * A risk at a destination (strike, storm, unrest) for departures in a period: its own stream, one event. The
 * touchpoint schedule turns it into an urgent risk notice for every customer departing into that place then.
 */
export const RISK_SEVERITIES = COMPLAINT_SEVERITIES;
export type RiskSeverity = (typeof RISK_SEVERITIES)[number];

export interface RiskAlert {
  alertId: string;
  /** ISO 3166-1 alpha-2; the whole country unless `city` narrows it. */
  country: string;
  city?: string;
  /** Departures on these calendar dates (inclusive) are concerned. */
  from: string;
  to: string;
  severity: RiskSeverity;
  message: string;
}

export interface DestinationRiskAlertIssued {
  type: 'DestinationRiskAlertIssued';
  data: RiskAlert;
  occurredAt: string;
}

export interface IssueRiskAlert {
  type: 'IssueRiskAlert';
  data: RiskAlert;
  occurredAt: string;
}

export type RiskAlertState = { issued: false } | { issued: true; alert: RiskAlert };

export const RISK_ALERT_STREAM_PREFIX = 'risk-alert-';
export const riskAlertStreamId = (alertId: string): string => `${RISK_ALERT_STREAM_PREFIX}${alertId}`;
export const RISK_ALERT_EVENT_TYPES = ['DestinationRiskAlertIssued'] as const;

const SHAPE: Shape = {
  alertId: text({ optional: true }),
  country: text(),
  city: text({ optional: true, nonEmpty: true, max: LIMITS.label }),
  from: text(),
  to: text(),
  severity: { checks: [oneOf(RISK_SEVERITIES)] },
  message: text({ nonEmpty: true, max: LIMITS.text }),
  occurredAt: { optional: true, checks: [iso8601] },
};

/**
 * A request body becomes the command here, once, as a customer command does (parseCustomerCommand): the shape
 * (every broken rule listed, unknown keys by name), then the formats (the first field at fault). `defaults` fill in
 * what the request may leave out.
 */
export const parseIssueRiskAlert = (body: unknown, defaults: { alertId: string; occurredAt: string }): Parsed<IssueRiskAlert> =>
  parseShaped(SHAPE, body, ({ alertId = defaults.alertId, country, city, from, to, severity, message, occurredAt = defaults.occurredAt }) => {
    v.checkId('alertId', alertId);
    v.checkCountry('country', country);
    if (city !== undefined) v.checkNonEmptyString('city', city);
    v.checkIsoDate('from', from);
    v.checkIsoDate('to', to);
    if (to < from) throw new InvalidInput('to', `must not be before from (${from})`);
    v.checkOneOf('severity', severity, RISK_SEVERITIES);
    v.checkNonEmptyString('message', message);
    v.checkIsoInstant('occurredAt', occurredAt);
    return { type: 'IssueRiskAlert', data: { alertId, country, ...(city !== undefined && { city }), from, to, severity, message }, occurredAt };
  });

export const riskAlertDecider = {
  initialState: (): RiskAlertState => ({ issued: false }),
  evolve: (_state: RiskAlertState, event: DestinationRiskAlertIssued): RiskAlertState => ({ issued: true, alert: event.data }),
  /** The alert id is the stream's: its one event created it (the same alert sent again gets the first answer). */
  creationOf: (_command: IssueRiskAlert, history: readonly unknown[]): number => (history.length > 0 ? 0 : -1),
  /** Takes a command parseIssueRiskAlert made; refuses an alert id that was used before. */
  decide(command: IssueRiskAlert, state: RiskAlertState): DestinationRiskAlertIssued[] {
    if (state.issued) throw new RuleViolated('risk-alert.id-unique', `risk alert ${command.data.alertId} was already issued`);
    return [{ type: 'DestinationRiskAlertIssued', data: command.data, occurredAt: command.occurredAt }];
  },
};
