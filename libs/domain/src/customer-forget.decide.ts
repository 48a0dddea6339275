import type * as C from './customer.commands';
import type { CustomerEvent } from './customer.events';
import { requireRegistered } from './customer.guards';
import type { CustomerState } from './customer.state';

export const forgetCustomer = (cmd: C.ForgetCustomer, state: CustomerState): CustomerEvent[] => {
  requireRegistered(state, cmd.customerId);
  return [{ type: 'CustomerForgotten', data: { reason: cmd.data.reason }, occurredAt: cmd.occurredAt }];
};
