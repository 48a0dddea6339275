import type * as C from './customer.commands';
import type { CustomerEvent } from './customer.events';
import { requireRegistered } from './customer.guards';
import type { CustomerState } from './customer.state';
import { NotFound, RuleViolated } from './domain.errors';

/**
 * A touchpoint as the customer's schedule has it. The schedule is computed outside the domain (libs/touchpoints,
 * from the same stream, the touchpoint config and the risk alerts) and handed to decide with the command.
 */
export interface ScheduledTouchpoint {
  status: 'open' | 'done' | 'skipped' | 'cancelled' | 'held-out';
  reason?: string;
  completedAt?: string;
  completedBy?: string;
}

/**
 * What decide needs besides the folded state: the customer's touchpoints by id (only CompleteTouchpoint reads them).
 * Every entry point for outside input passes them (the API's command handler, the import); without them (trusted
 * code that writes known-good histories: scenario writers, projection tests) only the rule the state holds applies.
 */
export interface DecideContext {
  touchpoints?: ReadonlyMap<string, ScheduledTouchpoint>;
  /**
   * The currencies the segments config has an exchange rate for: a booking amount in another one is refused, since
   * every segment evaluation would fail on it. Passed by every entry point for outside input, like `touchpoints`.
   */
  currencies?: ReadonlySet<string>;
}

/** Unknown (404), cancelled, held-out or already completed (409) touchpoints are refused; a skipped one may still be made. */
export const completeTouchpoint = (cmd: C.CompleteTouchpoint, state: CustomerState, context: DecideContext): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  const { touchpointId, outcome, note } = cmd.data;
  const touchpoint = context.touchpoints ? context.touchpoints.get(touchpointId) : { status: 'open' as const };
  if (!touchpoint) throw new NotFound('touchpoint', touchpointId);
  if (touchpoint.status === 'cancelled') {
    throw new RuleViolated('touchpoint.cancelled', `touchpoint ${touchpointId} was cancelled (${touchpoint.reason ?? 'no reason'}) and cannot be completed`);
  }
  if (touchpoint.status === 'held-out') {
    throw new RuleViolated('touchpoint.held-out', `touchpoint ${touchpointId} is in its kind's control group and is not to be made (${touchpoint.reason ?? 'held out'})`);
  }
  if (touchpoint.status === 'done' || customer.completedTouchpoints.includes(touchpointId)) {
    const { completedBy = 'someone', completedAt = 'an earlier time' } = touchpoint;
    throw new RuleViolated('touchpoint.already-completed', `touchpoint ${touchpointId} was completed by ${completedBy} at ${completedAt}`);
  }
  const completed: CustomerEvent = { type: 'TouchpointCompleted', data: { touchpointId, outcome, ...(note !== undefined && { note }) }, occurredAt: cmd.occurredAt };
  // A gateway's opt-out (the customer answered STOP, unsubscribed) withdraws marketing consent at once: every later
  // marketing touchpoint is skipped, and campaign results drop the customer from both arms.
  if (outcome === 'opted-out' && customer.marketingConsent) return [completed, { type: 'MarketingConsentChanged', data: { granted: false }, occurredAt: cmd.occurredAt }];
  return [completed];
};
