import { COMPLAINT_SEVERITIES } from './customer.events';
import { InvalidInput, RuleViolated } from './domain.errors';
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

export const riskAlertDecider = {
  initialState: (): RiskAlertState => ({ issued: false }),
  evolve: (_state: RiskAlertState, event: DestinationRiskAlertIssued): RiskAlertState => ({ issued: true, alert: event.data }),
  /** The alert id is the stream's: its one event created it (the same alert sent again gets the first answer). */
  creationOf: (_command: IssueRiskAlert, history: readonly unknown[]): number => (history.length > 0 ? 0 : -1),
  /** Checks every field (naming it), then refuses an alert id that was used before. */
  decide(command: IssueRiskAlert, state: RiskAlertState): DestinationRiskAlertIssued[] {
    v.checkIsoInstant('occurredAt', command.occurredAt);
    const data: unknown = command.data;
    v.checkObject('body', data);
    v.checkId('alertId', data.alertId);
    v.checkCountry('country', data.country);
    if (data.city !== undefined) v.checkNonEmptyString('city', data.city);
    v.checkIsoDate('from', data.from);
    v.checkIsoDate('to', data.to);
    if (data.to < data.from) throw new InvalidInput('to', `must not be before from (${data.from})`);
    v.checkOneOf('severity', data.severity, RISK_SEVERITIES);
    v.checkNonEmptyString('message', data.message);
    if (state.issued) throw new RuleViolated('risk-alert.id-unique', `risk alert ${data.alertId} was already issued`);
    const { alertId, country, city, from, to, severity, message } = command.data;
    return [{ type: 'DestinationRiskAlertIssued', data: { alertId, country, ...(city !== undefined && { city }), from, to, severity, message }, occurredAt: command.occurredAt }];
  },
};
