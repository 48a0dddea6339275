import { customerStreamId, decide, evolve, initialState, type CustomerState, type ForgetCustomer } from '../../domain/src';
import { handleCommand, type CommandContext, type CommandResult, type EventStore } from '../../event-store/src';
import type { CustomerKeys } from './customer-keys';

/**
 * Forgets a customer: decide, destroy the data key, append CustomerForgotten at the version read.
 *
 * The key goes between decide and append (handleCommand's beforeAppend):
 * - after decide, so a request that is refused (an empty reason 400, an unknown customer 404, one already forgotten
 *   409) destroys nothing and writes nothing;
 * - before the append, so no reader ever sees CustomerForgotten while the personal data still decrypts.
 *
 * On a version conflict (another command appended meanwhile) the stream is read and decided again; the key is already
 * gone by then, which errs on the customer's side: if the retry is refused, or the append keeps failing, the personal
 * data reads as erased though CustomerForgotten is not (yet) in the log. Sending the request again completes it.
 */
export function forgetCustomer(
  store: EventStore,
  keys: CustomerKeys,
  command: ForgetCustomer,
  context: Omit<CommandContext, 'expectedVersion' | 'beforeAppend'>,
): Promise<CommandResult> {
  const decider = { decide: (forget: ForgetCustomer, state: CustomerState) => decide(forget, state), evolve, initialState };
  return handleCommand(store, customerStreamId(command.customerId), decider, command, { ...context, beforeAppend: () => keys.forget(command.customerId) });
}
