import { parseForgetCustomer } from './customer-command.parse';
import type * as C from './customer.commands';
import type { CustomerEvent } from './customer.events';
import { requireRegistered } from './customer.guards';
import type { CustomerState } from './customer.state';

/**
 * The one command decide parses itself: forgetting destroys the customer's data key, and its use case
 * (libs/privacy forgetCustomer) is an entry point of its own, called by the API and by operators' tools alike. So
 * its input is parsed where every caller passes, before anything is refused for the state or destroyed. (The API
 * parses it too, with the same function, because the use case reads the stream named by the id before deciding.)
 */
export const forgetCustomer = (cmd: C.ForgetCustomer, state: CustomerState): CustomerEvent[] => {
  const parsed = parseForgetCustomer({ customerId: cmd.customerId, occurredAt: cmd.occurredAt, body: cmd.data });
  if (!parsed.ok) throw parsed.error;
  requireRegistered(state, cmd.customerId);
  return [{ type: 'CustomerForgotten', data: { reason: parsed.command.data.reason }, occurredAt: cmd.occurredAt }];
};
