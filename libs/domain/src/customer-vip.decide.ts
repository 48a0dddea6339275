import type * as C from './customer.commands';
import type { CustomerEvent } from './customer.events';
import { requireRegistered } from './customer.guards';
import type { CustomerState } from './customer.state';
import { RuleViolated } from './domain.errors';

export const grantVip = (cmd: C.GrantVipStatus, state: CustomerState): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  if (customer.vip) throw new RuleViolated('vip.already-granted', `customer ${cmd.customerId} is already a VIP (since ${customer.vipSince})`);
  return [{ type: 'VipStatusGranted', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};

export const revokeVip = (cmd: C.RevokeVipStatus, state: CustomerState): CustomerEvent[] => {
  const customer = requireRegistered(state, cmd.customerId);
  if (!customer.vip) throw new RuleViolated('vip.not-granted', `customer ${cmd.customerId} is not a VIP`);
  return [{ type: 'VipStatusRevoked', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};
